//! `scanrelay serve` reloads its config on SIGHUP (what `systemctl reload` sends): new
//! connections get the new settings, an open connection keeps its own, and a config that
//! does not load is refused with the running settings kept.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::gateway_support::Gateway;

fn config(port: u16, size: &str) -> String {
    format!(
        "[listen]\nsmtp = \"127.0.0.1:{port}\"\nweb = \"\"\nallow_networks = [\"127.0.0.0/8\"]\n\
         max_message_size = \"{size}\"\n"
    )
}

/// A connection that has said EHLO.
struct Device(BufReader<TcpStream>);

impl Device {
    async fn connect(gw: &Gateway) -> Device {
        let stream = TcpStream::connect(gw.server()).await.expect("connect");
        let mut d = Device(BufReader::new(stream));
        assert!(d.reply().await.starts_with("220"));
        d
    }

    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.0.read_line(&mut line).await.unwrap() == 0 {
                return all;
            }
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    /// The SIZE the gateway announces in its EHLO reply.
    async fn size(&mut self) -> String {
        self.0
            .get_mut()
            .write_all(b"EHLO device.test\r\n")
            .await
            .unwrap();
        let reply = self.reply().await;
        reply
            .lines()
            .find_map(|l| l.get(4..)?.strip_prefix("SIZE ").map(str::to_string))
            .unwrap_or_else(|| panic!("no SIZE in {reply}"))
    }
}

async fn hangup(gw: &Gateway) {
    let pid = gw.child.id().expect("running").to_string();
    let status = tokio::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .await
        .expect("kill");
    assert!(status.success());
}

async fn wait_for_log(gw: &Gateway, text: &str, nth: usize) {
    for _ in 0..100 {
        if gw.logs().matches(text).count() >= nth {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {text:?} in the log:\n{}", gw.logs());
}

#[tokio::test]
async fn sighup_reloads_the_config_for_new_connections_and_refuses_a_broken_one() {
    let gw = Gateway::start_raw(|port, _| config(port, "1MB")).await;
    let mut before = Device::connect(&gw).await;
    assert_eq!(before.size().await, "1000000");

    std::fs::write(&gw.config, config(gw.port, "2MB")).unwrap();
    hangup(&gw).await;
    wait_for_log(&gw, "settings reloaded", 1).await;
    assert_eq!(Device::connect(&gw).await.size().await, "2000000");
    assert_eq!(
        before.size().await,
        "1000000",
        "an open connection keeps its settings"
    );

    std::fs::write(&gw.config, "[listen]\nmax_message_size = \"lots\"\n").unwrap();
    hangup(&gw).await;
    wait_for_log(&gw, "reload refused: the config does not load", 1).await;
    assert_eq!(Device::connect(&gw).await.size().await, "2000000");
    assert!(gw.logs().contains("max_message_size"), "{}", gw.logs());
}
