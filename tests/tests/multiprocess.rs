//! Several processes sharing one token store.

use craton_blackbox::{TestToken, USER_PIN, wait_with_timeout};
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::slot::Slot;
use std::collections::BTreeSet;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Start the writer helper on `t`'s library, config and `slot`.
fn writer(t: &TestToken, slot: Slot, prefix: &str, count: u32, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_writer"))
        .arg("--lib")
        .arg(t.lib_path())
        .arg("--conf")
        .arg(t.config_path())
        .args(["--slot", &slot.id().to_string(), "--count", &count.to_string()])
        .args(["--prefix", prefix])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn writer")
}

#[track_caller]
fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "writer failed ({})\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const LIMIT: Duration = Duration::from_secs(300);

#[test]
fn concurrent_writers_lose_nothing() {
    let t = TestToken::new();
    let slot = t.init_token();
    let a = writer(&t, slot, "a", 200, &["--pin", USER_PIN]);
    let b = writer(&t, slot, "b", 200, &["--pin", USER_PIN]);
    assert_success(&wait_with_timeout(a, LIMIT));
    assert_success(&wait_with_timeout(b, LIMIT));

    let s = t.user_rw(slot);
    let objects = s.find_objects(&[Attribute::Class(ObjectClass::DATA)]).unwrap();
    assert_eq!(objects.len(), 400);
    let labels: BTreeSet<Vec<u8>> = objects
        .iter()
        .map(|o| match &s.get_attributes(*o, &[AttributeType::Label]).unwrap()[..] {
            [Attribute::Label(l)] => l.clone(),
            other => panic!("label: {other:?}"),
        })
        .collect();
    let want: BTreeSet<Vec<u8>> = ["a", "b"]
        .iter()
        .flat_map(|p| (0..200).map(move |i| format!("{p}-{i}").into_bytes()))
        .collect();
    assert_eq!(labels, want);
}

#[test]
fn committed_objects_are_visible_across_processes_without_reload() {
    let t = TestToken::new();
    let slot = t.init_token();
    let data = [Attribute::Class(ObjectClass::DATA)];
    let s = t.rw(slot);
    assert!(s.find_objects(&data).unwrap().is_empty());

    // Another process writes; this module instance sees it in the same session.
    assert_success(&wait_with_timeout(writer(&t, slot, "other", 5, &[]), LIMIT));
    assert_eq!(s.find_objects(&data).unwrap().len(), 5);

    // This process writes; a new process sees it.
    for i in 0..3 {
        let label = Attribute::Label(format!("mine-{i}").into_bytes());
        s.create_object(&[
            data[0].clone(),
            Attribute::Token(true),
            Attribute::Private(false),
            label,
        ])
        .unwrap();
    }
    let check = writer(&t, slot, "none", 0, &["--expect-visible", "8"]);
    assert_success(&wait_with_timeout(check, LIMIT));
}
