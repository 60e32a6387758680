//! `paxos explore` end to end: the real binary serves stateright's explorer for `--config
//! compat`, and its JSON endpoints (`/.status`, `/.states/...`) answer with our model's
//! properties, actions and actor names.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The explorer process; killed (and reaped) when dropped, even when a test fails.
struct Explorer {
    child: Child,
    port: u16,
    stdout: mpsc::Receiver<String>,
}

impl Drop for Explorer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now (bind port 0, read it, release it).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// Starts `paxos explore --config compat` and waits (at most 20 s) until `/.status` answers.
fn start_explorer() -> Explorer {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_paxos"))
        .args([
            "explore",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--config",
            "compat",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn paxos explore");
    let mut explorer = Explorer {
        child,
        port,
        stdout: mpsc::channel().1,
    };
    // Forward stdout lines through a channel so reading them can time out.
    let out = explorer.child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    explorer.stdout = rx;

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = explorer.child.try_wait().expect("try_wait") {
            panic!("paxos explore exited early with {status}");
        }
        if let Ok((200, _)) = request(port, "GET", "/.status") {
            return explorer;
        }
        assert!(
            Instant::now() < deadline,
            "paxos explore did not answer /.status on port {port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Explorer {
    /// The next line the explorer printed, waiting at most 10 s.
    fn stdout_line(&self) -> String {
        self.stdout
            .recv_timeout(Duration::from_secs(10))
            .expect("a line on paxos explore's stdout within 10 s")
    }

    /// GETs `path`, expecting 200 and a JSON body.
    fn get_json(&self, path: &str) -> Value {
        let (code, body) = request(self.port, "GET", path).expect("explorer answers");
        assert_eq!(code, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: bad JSON {e}: {body}"))
    }
}

/// One HTTP/1.0 request (the server closes the connection after answering); returns the status
/// code and the body. Every read and write is bounded by a 10 s timeout.
fn request(port: u16, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )?;
    stream.flush()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8(raw).expect("UTF-8 response");
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in response to {path}: {text:?}"));
    let code = head
        .lines()
        .next()
        .and_then(|status| status.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad status line in response to {path}: {head:?}"));
    Ok((code, body.to_string()))
}

/// `(expectation, name, discovery)` with no discovery yet, as `/.status` lists it.
fn undiscovered(expectation: &str, name: &str) -> Value {
    json!([expectation, name, null])
}

const ALWAYS: [&str; 9] = [
    "agreement",
    "validity",
    "learner-agreement",
    "learners-agree",
    "stability",
    "durability",
    "round-durability",
    "ballot-safety",
    "linearizable",
];
const SOMETIMES: [&str; 4] = [
    "value-chosen",
    "learner-learns",
    "client-answered",
    "second-proposer-completes",
];

/// The actor labels of compat's sequence diagram: 3 merged nodes, then 2 clients.
const ACTOR_LABELS: [&str; 5] = [
    ">0 Node</text>",
    ">1 Node</text>",
    ">2 Node</text>",
    ">3 Client</text>",
    ">4 Client</text>",
];

fn assert_actor_labels(svg: &str) {
    for label in ACTOR_LABELS {
        assert!(svg.contains(label), "svg lacks {label}: {svg}");
    }
    for other in ["Proposer</text>", "Acceptor</text>", "Learner</text>"] {
        assert!(!svg.contains(other), "compat has only merged nodes: {svg}");
    }
}

fn sorted_actions(steps: &Value) -> Vec<String> {
    let mut actions: Vec<String> = steps
        .as_array()
        .expect("an array of steps")
        .iter()
        .map(|s| s["action"].as_str().expect("action string").to_string())
        .collect();
    actions.sort();
    actions
}

fn keys(step: &Value) -> Vec<String> {
    let mut k: Vec<String> = step
        .as_object()
        .expect("a step object")
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

#[test]
fn explorer_serves_status_init_state_and_first_steps() {
    let ex = start_explorer();
    let summary = ex.stdout_line();
    assert!(
        summary.starts_with(
            "Exploring single-decree Paxos: 3 merged nodes, learn via proposer, 2 clients, \
             unordered_nonduplicating network, "
        ),
        "{summary}"
    );
    assert_eq!(
        ex.stdout_line(),
        format!("Explorer: http://127.0.0.1:{}/", ex.port)
    );

    // Before anyone asks it to run, the on-demand checker has seen only the init state.
    let mut properties: Vec<Value> = ALWAYS.iter().map(|n| undiscovered("Always", n)).collect();
    properties.extend(SOMETIMES.iter().map(|n| undiscovered("Sometimes", n)));
    assert_eq!(
        ex.get_json("/.status"),
        json!({
            "done": false,
            "model": "paxos::models::single::SingleModel",
            "state_count": 1,
            "unique_state_count": 1,
            "max_depth": 0,
            "properties": properties,
            "recent_path": null,
        })
    );

    // The page itself is stateright's UI.
    let (code, index) = request(ex.port, "GET", "/").unwrap();
    assert_eq!(code, 200);
    assert!(index.contains("<title>Stateright Explorer</title>"));
    assert!(index.contains("<script src=\"app.js\"></script>"));

    // What app.js fetches first: `/.states` lists the init states.
    let init = ex.get_json("/.states");
    let init = init.as_array().expect("array of init steps");
    assert_eq!(init.len(), 1);
    assert_eq!(
        keys(&init[0]),
        ["actionIndex", "fingerprint", "properties", "state", "svg"]
    );
    assert_eq!(init[0]["actionIndex"], 0);
    assert_eq!(init[0]["properties"], json!(properties));
    assert!(init[0]["state"]
        .as_str()
        .unwrap()
        .starts_with("ActorModelState {"));
    assert_actor_labels(init[0]["svg"].as_str().unwrap());

    // Then `/.states/0`: the steps enabled in init state 0 are the clients' two proposals.
    let first = ex.get_json("/.states/0");
    assert_eq!(
        sorted_actions(&first),
        ["C0 -> N0 Propose(1)", "C1 -> N1 Propose(2)"]
    );
    let steps = first.as_array().unwrap();
    let mut indices: Vec<u64> = steps
        .iter()
        .map(|s| s["actionIndex"].as_u64().unwrap())
        .collect();
    indices.sort();
    assert_eq!(indices, [0, 1]);
    for step in steps {
        assert_eq!(
            keys(step),
            [
                "action",
                "actionIndex",
                "fingerprint",
                "outcome",
                "properties",
                "state",
                "svg"
            ]
        );
        let svg = step["svg"].as_str().unwrap();
        assert_actor_labels(svg);
        let (label, outcome) = match step["action"].as_str().unwrap() {
            "C0 -> N0 Propose(1)" => (
                ">Propose(1)</text>",
                "OUT: [Save(Storage { promised: 1.0, round: 1 }), \
                 Send(Id(1), Prepare(1.0)), Send(Id(2), Prepare(1.0))]",
            ),
            _ => (
                ">Propose(2)</text>",
                "OUT: [Save(Storage { promised: 1.1, round: 1 }), \
                 Send(Id(0), Prepare(1.1)), Send(Id(2), Prepare(1.1))]",
            ),
        };
        assert!(svg.contains(label), "svg lacks {label}: {svg}");
        assert!(
            step["outcome"].as_str().unwrap().starts_with(outcome),
            "{}",
            step["outcome"]
        );
    }

    // One step deeper: after C0's proposal, N0 prepares ballot 1.0 with the other two nodes
    // and C1's proposal is still in flight.
    let c0 = steps
        .iter()
        .find(|s| s["action"] == "C0 -> N0 Propose(1)")
        .unwrap()["actionIndex"]
        .as_u64()
        .unwrap();
    assert_eq!(
        sorted_actions(&ex.get_json(&format!("/.states/0/{c0}"))),
        [
            "C1 -> N1 Propose(2)",
            "N0 -> N1 Prepare(1.0)",
            "N0 -> N2 Prepare(1.0)"
        ]
    );

    // Paths that lead nowhere are refused.
    assert_eq!(
        request(ex.port, "GET", "/.states/5").unwrap(),
        (
            404,
            "Unable to find state following action indices /5".to_string()
        )
    );
    assert_eq!(
        request(ex.port, "GET", "/.states/x").unwrap(),
        (404, "Unable to parse action indices /x".to_string())
    );
}

#[test]
fn explorer_runs_to_completion_with_the_checked_state_count() {
    let ex = start_explorer();
    let (code, _) = request(ex.port, "POST", "/.runtocompletion").unwrap();
    assert_eq!(code, 200);

    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        let status = ex.get_json("/.status");
        if status["done"] == true {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "explorer not done within 180 s: {status}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    // The same state space `paxos check --config compat` explores (pinned in single_model.rs).
    assert_eq!(status["unique_state_count"], 2_720);
    assert_eq!(status["max_depth"], 20);
    assert_eq!(status["model"], "paxos::models::single::SingleModel");

    let props = status["properties"].as_array().unwrap();
    let names: Vec<&str> = props.iter().map(|p| p[1].as_str().unwrap()).collect();
    let expected: Vec<&str> = ALWAYS.iter().chain(SOMETIMES.iter()).copied().collect();
    assert_eq!(names, expected);
    for p in props {
        match p[0].as_str().unwrap() {
            // No counterexample to any safety property.
            "Always" => assert_eq!(p[2], Value::Null, "{p}"),
            // Every example is found, and its path replays in the explorer.
            "Sometimes" => {
                let path = p[2].as_str().unwrap_or_else(|| panic!("no example: {p}"));
                assert!(path.starts_with("0/"), "{p}");
                let next = ex.get_json(&format!("/.states/{path}"));
                assert!(next.is_array(), "{next}");
            }
            other => panic!("unexpected expectation {other}"),
        }
    }
}
