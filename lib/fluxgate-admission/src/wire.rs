//! The `validate` answer as JSON bytes, written directly.
//!
//! serde_json escapes a string one byte per loop turn and splits the slice at every byte
//! (`format_escaped_str_contents`, serde_json 1.0.154); in a module optimised for size that
//! split stays a function call per byte, and a denial's message is hundreds of bytes. Here a
//! run of bytes that needs no escape is copied whole. The bytes are exactly what
//! `serde_json::to_vec(&ValidationResponse)` writes (tested below), so nothing a host reads
//! changes.

use kubewarden_policy_sdk::response::ValidationResponse;

/// `serde_json::to_vec(response)`, faster for the fields a policy's answer carries; the
/// mutation and audit fields, which fluxgate never sets, go through serde_json.
pub fn response_json(response: &ValidationResponse) -> Vec<u8> {
    if response.mutated_object.is_some() || response.audit_annotations.is_some() {
        return serde_json::to_vec(response).unwrap_or_default();
    }
    let text_len = response.message.as_ref().map_or(0, String::len)
        + response
            .warnings
            .iter()
            .flatten()
            .map(String::len)
            .sum::<usize>();
    let mut out = Vec::with_capacity(text_len + 128);
    out.extend_from_slice(b"{\"accepted\":");
    out.extend_from_slice(if response.accepted { b"true" } else { b"false" });
    out.extend_from_slice(b",\"message\":");
    match &response.message {
        Some(message) => string(&mut out, message),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"code\":");
    match response.code {
        Some(code) => out.extend_from_slice(code.to_string().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"mutated_object\":null,\"audit_annotations\":null,\"warnings\":");
    match &response.warnings {
        Some(warnings) => {
            out.push(b'[');
            for (i, warning) in warnings.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(&mut out, warning);
            }
            out.push(b']');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
    out
}

/// A JSON string with serde_json's escapes: `"`, `\`, and the control bytes below 0x20
/// (`\b \t \n \f \r` by name, the rest as `\u00xx`); everything else, non-ASCII included, as is.
fn string(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut rest = text.as_bytes();
    while let Some(at) = rest
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
    {
        out.extend_from_slice(&rest[..at]);
        let byte = rest[at];
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]),
        }
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn answer(
        accepted: bool,
        message: Option<&str>,
        code: Option<u16>,
        warnings: Option<&[&str]>,
    ) -> ValidationResponse {
        ValidationResponse {
            accepted,
            message: message.map(str::to_string),
            code,
            mutated_object: None,
            audit_annotations: None,
            warnings: warnings.map(|w| w.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn writes_what_serde_json_writes() {
        // Every byte below 0x80 and some that are not ASCII, alone and inside text.
        let every_ascii: String = (0u8..0x80).map(char::from).collect();
        let texts = [
            "",
            "plain",
            every_ascii.as_str(),
            "quote \" backslash \\ tab \t newline \n end",
            "\u{0}\u{1f}\u{7f}\u{80}é \u{2028} 名前 🙂",
            "\"leading and trailing\\",
        ];
        let mut cases = vec![
            answer(true, None, None, None),
            answer(false, None, Some(500), Some(&[])),
        ];
        for text in texts {
            cases.push(answer(false, Some(text), Some(400), None));
            cases.push(answer(true, None, None, Some(&[text, "second", text])));
        }
        for case in &cases {
            let ours = response_json(case);
            let theirs = serde_json::to_vec(case).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }

    #[test]
    fn fields_fluxgate_never_sets_still_serialise() {
        let mut case = answer(true, None, None, None);
        case.audit_annotations = Some(HashMap::from([("k".to_string(), "v".to_string())]));
        assert_eq!(response_json(&case), serde_json::to_vec(&case).unwrap());
    }
}
