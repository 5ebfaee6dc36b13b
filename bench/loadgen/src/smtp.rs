//! A deliberately minimal plain-SMTP client: EHLO, MAIL, RCPT, DATA, QUIT, one command at a
//! time (no PIPELINING), every network step bounded by a timeout.

use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::time::timeout;

/// Longest reply line accepted (RFC 5321 says 512; be generous).
const MAX_LINE: usize = 4096;

/// A server reply: code and the text of the last line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Three-digit reply code.
    pub code: u16,
    /// Text of the last line, without the code.
    pub text: String,
}

impl Reply {
    fn expect(self, class: u16, what: &str) -> Result<Reply> {
        if self.code / 100 != class {
            bail!("{what}: {} {}", self.code, self.text);
        }
        Ok(self)
    }
}

/// When the server acknowledged the end of DATA.
#[derive(Debug, Clone, Copy)]
pub struct Accepted {
    /// From the last byte of the terminator written to the socket to the reply.
    pub latency: Duration,
    /// Wall clock when the 250 was read.
    pub at: SystemTime,
}

/// One SMTP session after the greeting and EHLO.
pub struct Session {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    step_timeout: Duration,
}

impl Session {
    /// Connects, reads the 220 greeting and sends EHLO.
    pub async fn open(addr: &str, ehlo: &str, step_timeout: Duration) -> Result<Session> {
        let stream = timeout(step_timeout, TcpStream::connect(addr))
            .await
            .with_context(|| format!("connect to {addr}: timed out"))?
            .with_context(|| format!("connect to {addr}"))?;
        // Small command lines and the final ".\r\n" must not wait for Nagle + delayed ACK.
        stream.set_nodelay(true)?;
        let (r, w) = stream.into_split();
        let mut s = Session {
            reader: BufReader::with_capacity(8192, r),
            writer: w,
            step_timeout,
        };
        s.read_reply().await?.expect(2, "greeting")?;
        s.command(&format!("EHLO {ehlo}"))
            .await?
            .expect(2, "EHLO")?;
        Ok(s)
    }

    /// One mail transaction; `parts` is the message (headers, body) in order, already in SMTP
    /// form (CRLF lines, no line starting with a dot, ending with CRLF).
    pub async fn send_mail(&mut self, from: &str, to: &str, parts: &[&[u8]]) -> Result<Accepted> {
        self.command(&format!("MAIL FROM:<{from}>"))
            .await?
            .expect(2, "MAIL")?;
        self.command(&format!("RCPT TO:<{to}>"))
            .await?
            .expect(2, "RCPT")?;
        self.command("DATA").await?.expect(3, "DATA")?;
        for part in parts {
            self.write(part).await?;
        }
        self.write(b".\r\n").await?;
        let sent = Instant::now();
        let reply = self.read_reply().await?;
        let latency = sent.elapsed();
        let at = SystemTime::now();
        reply.expect(2, "end of DATA")?;
        Ok(Accepted { latency, at })
    }

    /// Sends QUIT and waits (bounded) for the reply; errors are ignored.
    pub async fn quit(mut self) {
        let _ = self.command("QUIT").await;
        let _ = self.writer.shutdown().await;
    }

    async fn command(&mut self, line: &str) -> Result<Reply> {
        self.write(format!("{line}\r\n").as_bytes()).await?;
        self.read_reply().await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        timeout(self.step_timeout, self.writer.write_all(bytes))
            .await
            .context("write: timed out")?
            .context("write")
    }

    /// Reads a possibly multi-line reply.
    async fn read_reply(&mut self) -> Result<Reply> {
        let mut line = String::new();
        loop {
            line.clear();
            let n = timeout(
                self.step_timeout,
                (&mut self.reader)
                    .take(MAX_LINE as u64)
                    .read_line(&mut line),
            )
            .await
            .context("waiting for a reply: timed out")?
            .context("reading a reply")?;
            if n == 0 {
                bail!("connection closed by the server");
            }
            let (code, last) = parse_reply_line(&line)?;
            if last {
                let text = line.get(4..).unwrap_or("").trim_end().to_string();
                return Ok(Reply { code, text });
            }
        }
    }
}

/// Parses `250-text` / `250 text` into the code and whether it is the last line.
fn parse_reply_line(line: &str) -> Result<(u16, bool)> {
    let trimmed = line.trim_end_matches(['\r', '\n']);
    let code = trimmed
        .get(..3)
        .and_then(|c| c.parse::<u16>().ok())
        .filter(|c| (200..600).contains(c))
        .with_context(|| format!("malformed reply line {trimmed:?}"))?;
    match trimmed.as_bytes().get(3) {
        None | Some(b' ') => Ok((code, true)),
        Some(b'-') => Ok((code, false)),
        _ => bail!("malformed reply line {trimmed:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines() {
        assert_eq!(
            parse_reply_line("250-PIPELINING\r\n").unwrap(),
            (250, false)
        );
        assert_eq!(parse_reply_line("250 OK\r\n").unwrap(), (250, true));
        assert_eq!(parse_reply_line("354\r\n").unwrap(), (354, true));
        assert!(parse_reply_line("hello\r\n").is_err());
        assert!(parse_reply_line("250xOK\r\n").is_err());
    }
}
