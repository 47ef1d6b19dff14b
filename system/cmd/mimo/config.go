package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"mimo/system/embed"
	"mimo/system/llm"
)

// Config is every setting of Mimo. Each has an environment variable (the
// names are fixed: scripts depend on them) and a flag that overrides it.
type Config struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	APIKey          string
	Embedder        string
	EmbedURL        string
	EmbedModel      string
	EmbedDim        int // 0: the provider's default
	EmbedWordNet    bool
	EmbedVectors    bool
	EmbedAPIKey     string
	EmbedTimeout    time.Duration
	LLM             string
	LLMURL          string
	LLMModel        string
	LLMAPIKey       string
	BreakerFailures int
	BreakerReset    time.Duration
	ReadCache       int64 // bytes; 0 disables the read cache
	SpoolMax        int64 // bytes
	LogLevel        string
	RateLimit       float64

	// Cmd holds the running command's own flags, which are not settings.
	Cmd commandOptions
}

// setting is one row of the settings table: its variable, flag, default and
// how to parse and check it.
type setting struct {
	env, flag, def, usage string
	set                   func(c *Config, v string) error
}

var settings = []setting{
	{"MIMO_ADDR", "addr", "127.0.0.1:4000", "HTTP listen address (host:port; port 0 picks a free one)", func(c *Config, v string) error {
		_, port, err := net.SplitHostPort(v)
		if err != nil {
			return fmt.Errorf("not host:port; set it like 127.0.0.1:4000")
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("the port is not a number from 0 to 65535; set it like 127.0.0.1:4000")
		}
		c.Addr = v
		return nil
	}},
	{"MIMO_DATA_DIR", "data-dir", "", "directory for the SQLite database and backups (default $XDG_DATA_HOME/mimo, else ~/.local/share/mimo)", func(c *Config, v string) error {
		c.DataDir = v
		return nil
	}},
	{"MIMO_DATABASE_URL", "database-url", "", "postgres://… selects Postgres; unset uses SQLite in the data directory", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return fmt.Errorf("not a postgres:// URL; set it like postgres://user:pass@host:5432/mimo or unset it to use SQLite")
		}
		c.DatabaseURL = v
		return nil
	}},
	{"MIMO_API_KEY", "api-key", "", "when set, required as 'Authorization: Bearer …' on /api/* and /mcp", func(c *Config, v string) error {
		c.APIKey = v
		return nil
	}},
	{"MIMO_EMBEDDER", "embedder", "builtin", "embedding provider: builtin (offline), ollama, or openai (any OpenAI-compatible /v1/embeddings)", func(c *Config, v string) error {
		switch v {
		case embed.ProviderBuiltin, embed.ProviderOllama, embed.ProviderOpenAI:
		default:
			return fmt.Errorf("not an embedding provider; set it to builtin, ollama or openai")
		}
		c.Embedder = v
		return nil
	}},
	{"MIMO_EMBED_URL", "embed-url", "", "embedding endpoint: the server root for ollama (default " + embed.DefaultOllamaURL + "), the API root with /v1 for openai (default " + embed.DefaultOpenAIURL + ")", func(c *Config, v string) error {
		if v != "" {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("not an http(s) URL; set it like http://127.0.0.1:11434 or https://api.openai.com/v1")
			}
		}
		c.EmbedURL = v
		return nil
	}},
	{"MIMO_EMBED_MODEL", "embed-model", "", "embedding model (default " + embed.DefaultOllamaModel + " for ollama, " + embed.DefaultOpenAIModel + " for openai)", func(c *Config, v string) error {
		if strings.TrimSpace(v) != v || strings.ContainsAny(v, "\x00\n") {
			return fmt.Errorf("not a model name; set it like %s", embed.DefaultOllamaModel)
		}
		c.EmbedModel = v
		return nil
	}},
	{"MIMO_EMBED_DIM", "embed-dim", "", fmt.Sprintf("embedding dimension; every vector must have it (default %d for builtin, %d for ollama, %d for openai)", embed.DefaultDim, embed.DefaultOllamaDim, embed.DefaultOpenAIDim), func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 8 || n > 8192 {
			return fmt.Errorf("not a dimension; set it to a whole number from 8 to 8192, such as 768")
		}
		c.EmbedDim = n
		return nil
	}},
	{"MIMO_EMBED_WORDNET", "embed-wordnet", "false", "builtin embedder: also match synonyms, broader terms and definition words from the WordNet table in the binary (true or false)", func(c *Config, v string) error {
		switch v {
		case "", "false":
			c.EmbedWordNet = false
		case "true":
			c.EmbedWordNet = true
		default:
			return fmt.Errorf("not a switch; set it to true or false")
		}
		return nil
	}},
	{"MIMO_EMBED_WORD_VECTORS", "embed-word-vectors", "false", "builtin embedder: also add word vectors distilled from WordNet, in the binary, so reworded texts meet (true or false)", func(c *Config, v string) error {
		switch v {
		case "", "false":
			c.EmbedVectors = false
		case "true":
			c.EmbedVectors = true
		default:
			return fmt.Errorf("not a switch; set it to true or false")
		}
		return nil
	}},
	{"MIMO_EMBED_API_KEY", "embed-api-key", "", "embedding API key, sent as a bearer token (openai)", func(c *Config, v string) error {
		c.EmbedAPIKey = v
		return nil
	}},
	{"MIMO_EMBED_TIMEOUT", "embed-timeout", "10s", "time one embedding call may take, connection included", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("not a duration; set it like 10s or 500ms")
		}
		c.EmbedTimeout = d
		return nil
	}},
	{"MIMO_LLM", "llm", "none", "answer-synthesis provider: none, ollama or openai (any OpenAI-compatible /v1/chat/completions)", func(c *Config, v string) error {
		switch v {
		case "none", llm.ProviderOllama, llm.ProviderOpenAI:
		default:
			return fmt.Errorf("not a provider; set it to none, ollama or openai")
		}
		c.LLM = v
		return nil
	}},
	{"MIMO_LLM_URL", "llm-url", "", "answer-synthesis endpoint: the server root for ollama (default " + llm.DefaultOllamaURL + "), the API root with /v1 for openai (default " + llm.DefaultOpenAIURL + ")", func(c *Config, v string) error {
		if v != "" {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("not an http(s) URL; set it like http://127.0.0.1:11434 or https://api.openai.com/v1")
			}
		}
		c.LLMURL = v
		return nil
	}},
	{"MIMO_LLM_MODEL", "llm-model", "", "answer-synthesis model", func(c *Config, v string) error {
		c.LLMModel = v
		return nil
	}},
	{"MIMO_LLM_API_KEY", "llm-api-key", "", "answer-synthesis API key", func(c *Config, v string) error {
		c.LLMAPIKey = v
		return nil
	}},
	{"MIMO_BREAKER_FAILURES", "breaker-failures", "5", "consecutive failures that open a circuit (each of llm, embedder, db)", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("not a count; set it to a whole number of at least 1, such as 5")
		}
		c.BreakerFailures = n
		return nil
	}},
	{"MIMO_BREAKER_RESET", "breaker-reset", "60s", "time an open circuit waits before half-open", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("not a duration; set it like 60s or 2m")
		}
		c.BreakerReset = d
		return nil
	}},
	{"MIMO_READ_CACHE", "read-cache", "64MiB", "memory for recent memories served while the database is down (bytes, KiB, MiB, GiB); 0 disables", func(c *Config, v string) error {
		n, err := parseSize(v)
		if err != nil {
			return fmt.Errorf("%v, or 0 to disable", err)
		}
		c.ReadCache = n
		return nil
	}},
	{"MIMO_SPOOL_MAX", "spool-max", "256MiB", "disk for writes queued while the database is down; past it writes get 503", func(c *Config, v string) error {
		n, err := parseSize(v)
		if err != nil || n < 1<<10 {
			return fmt.Errorf("not a size of at least 1KiB; set it like 256MiB")
		}
		c.SpoolMax = n
		return nil
	}},
	{"MIMO_LOG_LEVEL", "log-level", "info", "debug, info, warn or error (JSON lines on stderr)", func(c *Config, v string) error {
		var l slog.Level
		if err := l.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("not a level; set it to debug, info, warn or error")
		}
		c.LogLevel = strings.ToLower(v)
		return nil
	}},
	{"MIMO_RATE_LIMIT", "rate-limit", "1000", "requests per second per client on /api/* and /mcp; off disables", func(c *Config, v string) error {
		if v == "off" {
			c.RateLimit = -1
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return fmt.Errorf("not a rate; set it to a positive number such as 1000, or off")
		}
		c.RateLimit = f
		return nil
	}},
}

// bindFlags adds to fs a flag per setting named in only (nil: every
// setting). Parsed values land in the returned map, keyed by flag name,
// for loadConfig to check.
func bindFlags(fs *flag.FlagSet, only []string) map[string]*string {
	vals := map[string]*string{}
	for _, s := range settings {
		if only != nil && !slices.Contains(only, s.flag) {
			continue
		}
		usage := s.usage
		if s.def != "" {
			usage += " (default " + s.def + ")"
		}
		vals[s.flag] = fs.String(s.flag, "", usage+" [$"+s.env+"]")
	}
	return vals
}

// loadConfig resolves every setting: flag if given, else environment, else
// default. The first bad one is returned as one line naming the setting and
// the fix.
func loadConfig(fs *flag.FlagSet, flags map[string]*string, getenv func(string) string) (*Config, error) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	c := &Config{}
	for _, s := range settings {
		v, from := s.def, ""
		if e := getenv(s.env); e != "" {
			v, from = e, s.env
		}
		if given[s.flag] {
			v, from = *flags[s.flag], "--"+s.flag
		}
		if err := s.set(c, v); err != nil {
			if from == "" {
				from = s.env
			}
			return nil, fmt.Errorf("%s=%q: %v", from, v, err)
		}
	}
	if c.DataDir == "" {
		dir, err := defaultDataDir(getenv)
		if err != nil {
			return nil, err
		}
		c.DataDir = dir
	}
	return c, nil
}

// stdioSettings are serve's but those of the HTTP server.
func stdioSettings() []string {
	var out []string
	for _, s := range settings {
		switch s.flag {
		case "addr", "api-key", "rate-limit":
		default:
			out = append(out, s.flag)
		}
	}
	return out
}

// toolVariables are MIMO_* variables that the project's own tests and
// tooling read (test databases, image builds, reports), which Mimo itself
// ignores: a developer's shell may export them.
var toolVariables = []string{"MIMO_TEST_", "MIMO_BENCH_", "MIMO_IMAGES_", "MIMO_SQLITE_TEST_", "MIMO_RESULTS_DIR", "MIMO_RETRIEVAL_OUT", "MIMO_COMMIT"}

// checkEnviron refuses a MIMO_* variable that is no setting, a typo that
// would otherwise be ignored without a word, naming the closest setting.
func checkEnviron(environ []string) error {
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "MIMO_") || slices.ContainsFunc(settings, func(s setting) bool { return s.env == name }) ||
			slices.ContainsFunc(toolVariables, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		return fmt.Errorf("%s is not a Mimo setting; did you mean %s? (unset it; 'mimo serve --help' lists the settings)", name, closestSetting(name))
	}
	return nil
}

// settingHints are words a mistaken name may hold, and the setting they
// mean.
var settingHints = []struct{ word, env string }{
	{"PORT", "MIMO_ADDR"}, {"HOST", "MIMO_ADDR"}, {"LISTEN", "MIMO_ADDR"}, {"BIND", "MIMO_ADDR"},
	{"POSTGRES", "MIMO_DATABASE_URL"}, {"DB", "MIMO_DATABASE_URL"}, {"DSN", "MIMO_DATABASE_URL"},
	{"TOKEN", "MIMO_API_KEY"}, {"DEBUG", "MIMO_LOG_LEVEL"}, {"VERBOSE", "MIMO_LOG_LEVEL"},
}

// closestSetting is the setting name meant by name: by a word it holds,
// else the nearest by edit distance.
func closestSetting(name string) string {
	rest := strings.TrimPrefix(name, "MIMO_")
	for _, h := range settingHints {
		if slices.Contains(strings.Split(rest, "_"), h.word) {
			return h.env
		}
	}
	best, bestDist := settings[0].env, -1
	for _, s := range settings {
		if d := editDistance(name, s.env); bestDist < 0 || d < bestDist {
			best, bestDist = s.env, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func defaultDataDir(getenv func(string) string) (string, error) {
	if x := getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "mimo"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "mimo"), nil
	}
	return "", fmt.Errorf("MIMO_DATA_DIR is unset and so are XDG_DATA_HOME and HOME; set MIMO_DATA_DIR to a writable directory")
}

func (c *Config) logLevel() slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(c.LogLevel))
	return l
}
