//! Whether a stored line is query-safe (SPEC section 4): a JSON object whose keys are unique at
//! every level, whose top-level keys don't collide ignoring ASCII case, and whose strings hold no
//! lone surrogate (serde_json refuses one, as DuckDB does).

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// `Ok` when `line` is query-safe, else what is wrong.
pub fn check(line: &str) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_str(line);
    Walk { top: true }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| e.to_string())
}

struct Walk {
    top: bool,
}

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.top { "a JSON object" } else { "a JSON value" })
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.scalar()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.top {
            return Err(de::Error::custom("the line is an array, not an object"));
        }
        while seq.next_element_seed(Walk { top: false })?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let folded = if self.top {
                key.to_ascii_lowercase()
            } else {
                key.clone()
            };
            if !seen.insert(folded) {
                return Err(de::Error::custom(format!(
                    "key {key:?} repeated{}",
                    if self.top {
                        " (ignoring ASCII case) at the top level"
                    } else {
                        ""
                    }
                )));
            }
            map.next_value_seed(Walk { top: false })?;
        }
        Ok(())
    }
}

impl Walk {
    fn scalar<E: de::Error>(self) -> Result<(), E> {
        if self.top {
            return Err(E::custom("the line is not a JSON object"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn query_safe_lines() {
        assert!(check(r#"{"a":1,"_a":2,"n":{"k":[{"z":1,"_z":2}]},"ok":"\ud83d\ude00"}"#).is_ok());
        for bad in [
            r#"{"a":1,"a":2}"#,
            r#"{"n":{"k":1,"k":2}}"#,
            r#"{"n":[{"z":1,"z":2}]}"#,
            r#"{"message":"m","Message":"M"}"#,
            r#"{"s":"\ud800"}"#,
            r#"{"s":"a\udc00b"}"#,
            r#"[1]"#,
            "1",
            r#"{"a":1} x"#,
        ] {
            assert!(check(bad).is_err(), "{bad} passed");
        }
        assert!(
            check(r#"{"n":{"K":1,"k":2}}"#).is_ok(),
            "case matters only at the top level"
        );
    }
}
