//! What a path is, decided from its name alone: binary formats that are never read, the
//! comment syntax of a source file, and whether a path is test, example or prose rather
//! than production code. Usage found only in tests, examples, comments or documentation
//! does not count as use: false positives cost users' trust more than misses.

/// Extensions of formats that are never text. Kept sorted (a test checks), so a reader can
/// find an entry and the binary search works.
const BINARY_EXTENSIONS: &[&str] = &[
    "7z",
    "a",
    "arrow",
    "avi",
    "avif",
    "bin",
    "bmp",
    "bz2",
    "ckpt",
    "class",
    "db",
    "dll",
    "dmg",
    "doc",
    "docx",
    "dylib",
    "eot",
    "exe",
    "feather",
    "ggml",
    "gguf",
    "gif",
    "gz",
    "h5",
    "hdf5",
    "ico",
    "jar",
    "joblib",
    "jpeg",
    "jpg",
    "keras",
    "lz4",
    "mar",
    "mlmodel",
    "mov",
    "mp3",
    "mp4",
    "msgpack",
    "npy",
    "npz",
    "o",
    "onnx",
    "orc",
    "otf",
    "parquet",
    "pb",
    "pdf",
    "pickle",
    "pkl",
    "png",
    "ppt",
    "pptx",
    "pt",
    "pth",
    "pyc",
    "pyo",
    "rar",
    "safetensors",
    "so",
    "sqlite",
    "tar",
    "tflite",
    "tgz",
    "tif",
    "tiff",
    "ttf",
    "wasm",
    "wav",
    "webm",
    "webp",
    "whl",
    "woff",
    "woff2",
    "xls",
    "xlsx",
    "xz",
    "zip",
    "zst",
];

/// True when the file name's extension says it is binary.
pub fn is_binary_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((_, ext)) => BINARY_EXTENSIONS
            .binary_search(&ext.to_ascii_lowercase().as_str())
            .is_ok(),
        None => false,
    }
}

/// How a file writes line comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentStyle {
    /// `#` (Python, shell, YAML, TOML, Ruby, R, .env, Dockerfile)
    Hash,
    /// `//` and `/* … */` continuation lines starting with `*` (C family, JS, Go, Rust, Java)
    Slash,
    /// Both `#` and `//` (HCL/Terraform, PHP)
    HashSlash,
    /// `--` (SQL, Lua, Haskell)
    Dash,
    /// No comment syntax we recognise (Markdown headings start with `#`!).
    None,
}

pub fn comment_style(path: &str) -> CommentStyle {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if name == "dockerfile"
        || name == "makefile"
        || name.starts_with(".env")
        || name == "gemfile"
        || name == "pipfile"
    {
        return CommentStyle::Hash;
    }
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "py" | "pyi" | "sh" | "bash" | "zsh" | "yaml" | "yml" | "toml" | "rb" | "r" | "pl" | "cfg"
        | "ini" | "conf" | "env" | "properties" | "txt" | "dockerfile" | "mk" | "cmake" | "ps1" | "jl"
        | "nix" => CommentStyle::Hash,
        "js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs" | "go" | "rs" | "java" | "kt" | "kts" | "scala" | "c"
        | "h" | "cc" | "cpp" | "hpp" | "cs" | "swift" | "dart" | "groovy" | "gradle" | "proto" | "json5"
        | "jsonc" | "zig" => CommentStyle::Slash,
        "tf" | "hcl" | "tfvars" | "php" => CommentStyle::HashSlash,
        "sql" | "lua" | "hs" => CommentStyle::Dash,
        _ => CommentStyle::None,
    }
}

/// True when `line` is a comment line in `style`.
pub fn is_comment(line: &str, style: CommentStyle) -> bool {
    let t = line.trim_start();
    match style {
        CommentStyle::Hash => t.starts_with('#'),
        CommentStyle::Slash => t.starts_with("//") || t.starts_with("/*") || t.starts_with("* ") || t == "*",
        CommentStyle::HashSlash => t.starts_with('#') || t.starts_with("//") || t.starts_with("/*"),
        CommentStyle::Dash => t.starts_with("--"),
        CommentStyle::None => false,
    }
}

/// Path facts that decide whether a match is production use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PathFlags {
    /// Tests, test data, fixtures, mocks.
    pub test: bool,
    /// Examples, samples, demos, tutorials, notebooks.
    pub example: bool,
    /// Documentation and prose (Markdown, reStructuredText, plain text).
    pub prose: bool,
}

impl PathFlags {
    pub fn of(path: &str) -> Self {
        let lower = path.to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('/').collect();
        let (dirs, name) = parts.split_at(parts.len().saturating_sub(1));
        let name = name.first().copied().unwrap_or("");
        const TEST_DIRS: &[&str] = &[
            "test",
            "tests",
            "__tests__",
            "__mocks__",
            "spec",
            "specs",
            "testdata",
            "test_data",
            "fixtures",
            "e2e",
            "testing",
        ];
        const EXAMPLE_DIRS: &[&str] = &[
            "example",
            "examples",
            "sample",
            "samples",
            "demo",
            "demos",
            "tutorial",
            "tutorials",
            "notebooks",
            "cookbook",
        ];
        let stem = name.split('.').next().unwrap_or("");
        // `integration_tests/`, `e2e-tests/`, `example_models/`: a word of the name.
        let has_word = |d: &str, words: &[&str]| d.split(['_', '-']).any(|w| words.contains(&w));
        let test = dirs
            .iter()
            .any(|d| TEST_DIRS.contains(d) || has_word(d, &["test", "tests"]))
            || stem.starts_with("test_")
            || stem.starts_with("tests_")
            || stem.starts_with("test-")
            || stem.ends_with("_test")
            || stem.ends_with("-test")
            || stem.ends_with("_spec")
            || name.contains(".test.")
            || name.contains(".spec.")
            || name == "conftest.py";
        let template = [".example", ".sample", ".template", ".dist", ".tmpl"]
            .iter()
            .any(|t| name.ends_with(t) || name.contains(&format!("{t}.")));
        let example = dirs
            .iter()
            .any(|d| EXAMPLE_DIRS.contains(d) || has_word(d, &["example", "examples", "samples"]))
            || name.ends_with(".ipynb")
            || stem.starts_with("example")
            // `config-example.yml`, `settings_sample.json`: a word of the name.
            || has_word(stem, &["example", "sample"])
            || template;
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
        let prose = matches!(
            ext,
            "md" | "markdown" | "rst" | "txt" | "adoc" | "org" | "html" | "htm"
        ) && !name.starts_with("requirements");
        Self { test, example, prose }
    }

    /// Production code or configuration: not a test, example or document.
    pub fn production(self) -> bool {
        !self.test && !self.example && !self.prose
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_extensions_are_sorted() {
        let mut sorted = BINARY_EXTENSIONS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, BINARY_EXTENSIONS);
        assert!(is_binary_name("models/llama.GGUF"));
        assert!(!is_binary_name("src/app.py"));
    }

    #[test]
    fn path_flags() {
        assert!(PathFlags::of("tests/test_client.py").test);
        assert!(PathFlags::of("src/client.test.ts").test);
        assert!(PathFlags::of("settings-test.yaml").test);
        assert!(PathFlags::of("examples/chat.py").example);
        assert!(PathFlags::of(".env.example").example);
        assert!(PathFlags::of("server/example_models/iris/model.joblib").example);
        assert!(PathFlags::of("e2e-tests/run.go").test);
        assert!(PathFlags::of("pkg/controller/tests_common.go").test);
        assert!(!PathFlags::of("latest/contest/app.py").test);
        assert!(PathFlags::of("config/settings.sample.yaml").example);
        assert!(PathFlags::of("docs/setup.md").prose);
        assert!(PathFlags::of("src/llm/client.py").production());
        assert!(!PathFlags::of("requirements.txt").prose);
    }

    #[test]
    fn comments() {
        assert!(is_comment("  # import openai", comment_style("a.py")));
        assert!(is_comment("// use openai", comment_style("a.ts")));
        assert!(!is_comment("# Heading", comment_style("a.md")));
    }
}
