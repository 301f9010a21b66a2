//! Finding a git directory and reading its refs, as `--new-since` and report covers do
//! (`gitread::discover`, `gitread::refs`), on a tiny hostile `.git` built from the input:
//! parts separated by `\0\0` are `HEAD`, `packed-refs`, the loose ref `refs/heads/main`,
//! `objects/info/alternates` and, when not empty, a `.git` file (then the git directory is
//! `gd/` beside it). git itself is never run.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = redflag_fuzz::scratch_dir("gitexport");
    redflag_fuzz::exercise_git_dir(&dir, data);
});
