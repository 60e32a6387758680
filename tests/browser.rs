//! `paxos explore` in a real browser: headless Chromium loads stateright's explorer UI (knockout
//! and app.js), navigates to the first step of `--config compat`, and the rendered DOM shows our
//! sequence diagram (actor names, the delivered message) and our property names.
//!
//! Needs `/usr/bin/chromium` (Debian package `chromium`; CI installs it). Without it the test
//! fails rather than passing silently.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

/// A child process killed (and reaped) when dropped, even when a test fails.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nobody listens on right now (bind port 0, read it, release it).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// Whether `/.status` answers 200 (one HTTP/1.0 request, bounded by 5 s timeouts).
fn status_answers(port: u16) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let mut s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        s.set_write_timeout(Some(Duration::from_secs(5)))?;
        write!(s, "GET /.status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut response = String::new();
        s.read_to_string(&mut response)?;
        Ok(response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"))
    };
    attempt().unwrap_or(false)
}

/// Starts `paxos explore --config compat` and waits (at most 20 s) until it serves.
fn start_explorer() -> (KillOnDrop, u16) {
    let port = free_port();
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_paxos"))
            .args([
                "explore",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--config",
                "compat",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn paxos explore"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !status_answers(port) {
        if let Some(status) = child.0.try_wait().expect("try_wait") {
            panic!("paxos explore exited early with {status}");
        }
        assert!(
            Instant::now() < deadline,
            "paxos explore did not answer on port {port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, port)
}

/// Loads `url` in headless Chromium and returns the DOM after the page's scripts ran (virtual
/// time lets app.js's fetches and knockout's bindings finish). Bounded by 90 s of real time.
fn dump_dom(url: &str) -> String {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} not found: this test drives a real headless browser; install the Debian \
         package `chromium` (apt-get install -y chromium; CI's .ci/run installs it)"
    );
    let profile = tempfile::tempdir().expect("temp dir for the Chromium profile");
    let work = tempfile::tempdir().expect("temp dir for Chromium's output");
    let dom_path = work.path().join("dom.html");
    let err_path = work.path().join("stderr.txt");
    let mut chromium = KillOnDrop(
        Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                &format!("--user-data-dir={}", profile.path().display()),
                "--virtual-time-budget=10000",
                "--dump-dom",
                url,
            ])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&dom_path).expect("create dom.html"))
            .stderr(std::fs::File::create(&err_path).expect("create stderr.txt"))
            .spawn()
            .expect("spawn chromium"),
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = chromium.0.try_wait().expect("try_wait chromium") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "chromium did not finish within 90 s; stderr:\n{}",
            std::fs::read_to_string(&err_path).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "chromium failed with {status}; stderr:\n{}",
        std::fs::read_to_string(&err_path).unwrap_or_default()
    );
    std::fs::read_to_string(&dom_path).expect("read dumped DOM")
}

/// The text of the element whose opening tag contains `marker`.
fn element_text<'a>(dom: &'a str, marker: &str) -> &'a str {
    let start = dom
        .find(marker)
        .unwrap_or_else(|| panic!("no element with {marker:?} in DOM:\n{dom}"));
    let rest = &dom[start..];
    let open_end = rest.find('>').expect("end of the opening tag") + 1;
    let close = rest[open_end..].find('<').expect("end of the text");
    &rest[open_end..open_end + close]
}

#[test]
fn chromium_renders_the_first_step_of_compat() {
    let (_explorer, port) = start_explorer();
    // app.js routes `#/steps/<init>/<action>...`: init state 0, then action 0, which is
    // `C0 -> N0 Propose(1)` (tests/explorer.rs pins the enabled first actions).
    let dom = dump_dom(&format!("http://127.0.0.1:{port}/#/steps/0/0"));

    // The knockout bindings ran: the placeholders of index.htm are gone.
    for placeholder in [">MODEL<", ">SVG<", ">STATE COUNT<", ">PREV<", ">NEXT<"] {
        assert!(
            !dom.contains(placeholder),
            "{placeholder} left in DOM:\n{dom}"
        );
    }
    assert_eq!(
        element_text(&dom, "data-bind=\"text: model\""),
        "SingleModel"
    );
    assert_eq!(element_text(&dom, "data-bind=\"text: stateCount\""), "1");

    // The sequence diagram of the selected step: our actors and the delivered proposal.
    for label in [
        ">0 Node</text>",
        ">1 Node</text>",
        ">2 Node</text>",
        ">3 Client</text>",
        ">4 Client</text>",
        ">Propose(1)</text>",
    ] {
        assert!(dom.contains(label), "{label} missing from DOM:\n{dom}");
    }
    assert!(dom.contains("<svg"), "no sequence diagram in DOM:\n{dom}");
    assert!(dom.contains("Node") && dom.contains("Client"));

    // The selected step is the client's proposal, reached from init state 0.
    assert_eq!(
        element_text(&dom, "class=\"font-code is-selected-state\""),
        "C0 -&gt; N0 Propose(1)"
    );
    assert!(dom.contains(">Init 0</a>"), "path lacks Init 0:\n{dom}");
    // Its next choices: N0's two prepares, and C1's proposal still in flight.
    for next in [
        ">N0 -&gt; N1 Prepare(1.0)</a>",
        ">N0 -&gt; N2 Prepare(1.0)</a>",
        ">C1 -&gt; N1 Propose(2)</a>",
    ] {
        assert!(dom.contains(next), "{next} missing from DOM:\n{dom}");
    }

    // The global property list names our properties.
    for property in [
        ">Always agreement</span>",
        ">Always validity</span>",
        ">Always learner-agreement</span>",
        ">Always stability</span>",
        ">Always durability</span>",
        ">Always ballot-safety</span>",
        ">Always linearizable</span>",
        ">Sometimes value-chosen</span>",
        ">Sometimes learner-learns</span>",
        ">Sometimes client-answered</span>",
        ">Sometimes second-proposer-completes</span>",
    ] {
        assert!(
            dom.contains(property),
            "{property} missing from DOM:\n{dom}"
        );
    }
    assert!(dom.contains("agreement") && dom.contains("linearizable"));
}
