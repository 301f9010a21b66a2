//! HCL / Terraform: the hcl-rs parser itself, and redflag's Terraform extraction (IAM grants,
//! policy attachments, JIT tool resources, buckets, the declared-resource index).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = hcl::parse(&text);
    let _ = redflag::workspace::iam::terraform(&text);
    let _ = redflag::workspace::resources::terraform(&text);
});
