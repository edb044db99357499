//! RFC 6587 octet-counted framing, as Logplex sends it: `<len> <frame>` one after another.

use crate::error::DecodeError;

/// The frames of a body, in order. Whitespace between frames is allowed (some senders count
/// the trailing newline, some put it between frames).
pub fn frames(body: &[u8]) -> Frames<'_> {
    Frames { body, pos: 0, index: 0 }
}

pub struct Frames<'a> {
    body: &'a [u8],
    pos: usize,
    index: usize,
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<&'a [u8], DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.pos < self.body.len() && self.body[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        if self.pos >= self.body.len() {
            return None;
        }
        self.index += 1;
        let start = self.pos;
        let fail = |what: String| DecodeError::Frame {
            frame: self.index,
            offset: start,
            what,
        };
        let digits = self.body[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            self.pos = self.body.len();
            return Some(Err(fail("expected an octet count".into())));
        }
        let len: usize = std::str::from_utf8(&self.body[start..start + digits])
            .expect("digits")
            .parse()
            .expect("9 digits");
        let after = start + digits;
        if self.body.get(after) != Some(&b' ') {
            self.pos = self.body.len();
            return Some(Err(fail("expected a space after the octet count".into())));
        }
        let frame_start = after + 1;
        let left = self.body.len() - frame_start;
        if len > left || len == 0 {
            self.pos = self.body.len();
            return Some(Err(fail(format!("octet count {len} but {left} bytes follow"))));
        }
        self.pos = frame_start + len;
        Some(Ok(&self.body[frame_start..self.pos]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str, expected: Result<Vec<&str>, &str>) {
        let got: Result<Vec<&[u8]>, DecodeError> = frames(body.as_bytes()).collect();
        match (got, expected) {
            (Ok(got), Ok(exp)) => assert_eq!(got, exp.iter().map(|s| s.as_bytes()).collect::<Vec<_>>(), "{body:?}"),
            (Err(e), Err(exp)) => assert!(e.to_string().contains(exp), "{body:?}: {e}"),
            (got, exp) => panic!("{body:?}: got {got:?}, expected {exp:?}"),
        }
    }

    #[test]
    fn framing_cases() {
        check("", Ok(vec![]));
        check("5 hello", Ok(vec!["hello"]));
        check("6 hello\n6 world\n", Ok(vec!["hello\n", "world\n"]));
        check("5 hello\n5 world", Ok(vec!["hello", "world"]));
        check("5 hello\r\n5 world\r\n", Ok(vec!["hello", "world"]));
        check("50 short", Err("frame 1 (byte 0): octet count 50 but 5 bytes follow"));
        check("5 hello x", Err("frame 2 (byte 8): expected an octet count"));
        check("5hello", Err("expected a space"));
        check("99999999999 x", Err("expected an octet count"));
        check("0 ", Err("octet count 0"));
    }
}
