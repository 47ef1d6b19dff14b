package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"mimo/system"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

// Env is the world a command runs in: its streams and environment, and for
// tests a hook that learns the address serve listens on.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Environ lists the environment as KEY=value, to find MIMO_* variables
	// that are no setting. Nil skips that check.
	Environ func() []string
	// OnListen, if set, is called with the bound address once serve
	// accepts connections (useful with MIMO_ADDR=127.0.0.1:0).
	OnListen func(addr string)
}

// command is one subcommand: its usage line, summary and body, the
// settings it uses (flag names; nil means all), which are its flags, and
// the flags of its own beyond them, which it reads from cfg.Cmd.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, env Env, cfg *Config, args []string) error
	settings            []string
	flags               func(fs *flag.FlagSet, o *commandOptions)
}

// The settings commands use: the store's, and the embedder's for those
// that embed.
var (
	storeSettings = []string{"data-dir", "database-url", "log-level"}
	embedSettings = append(slices.Clone(storeSettings), "embedder", "embed-url", "embed-model", "embed-dim", "embed-wordnet", "embed-api-key", "embed-timeout")
)

// commandOptions are the flags only some commands take.
type commandOptions struct {
	Force     bool   // restore: replace existing data
	Namespace string // import, export: the namespace ("" their default)
}

var commands []command

func init() {
	commands = []command{
		{"serve", "", "run the HTTP server: REST API, MCP at /mcp, /health*, /metrics", runServe, nil, nil},
		{"stdio", "", "serve MCP over stdin and stdout, for desktop clients (logs on stderr)", runStdio, stdioSettings(), nil},
		{"migrate", "up | down [N] | status", "apply, roll back or list schema migrations (up backs up first)", runMigrate, storeSettings, nil},
		{"backup", "FILE", "write a consistent snapshot of all data while serving", runBackup, storeSettings, nil},
		{"restore", "[--force] FILE", "restore a snapshot (refuses to overwrite data without --force)", runRestore, storeSettings,
			func(fs *flag.FlagSet, o *commandOptions) {
				fs.BoolVar(&o.Force, "force", false, "replace existing data")
			}},
		{"import", "[--namespace NS] FILE", "read memories and graph from JSONL (Mimo's export, or the official memory server's memory.jsonl)", runImport, embedSettings,
			func(fs *flag.FlagSet, o *commandOptions) {
				fs.StringVar(&o.Namespace, "namespace", "", "the namespace to import into (default: each memory's own; the graph into \"default\")")
			}},
		{"export", "[--namespace NS] [FILE]", "write a namespace's memories and graph as JSONL (to stdout without FILE)", runExport, embedSettings,
			func(fs *flag.FlagSet, o *commandOptions) {
				fs.StringVar(&o.Namespace, "namespace", "", "the namespace to export (default \"default\")")
			}},
		{"reindex", "", "re-embed every memory with the configured embedder (re-running continues where a run stopped)", runReindex, embedSettings, nil},
		{"version", "", "print version, schema version and build info", runVersion, storeSettings, nil},
	}
}

// errUsage marks errors that are the caller's fault; Run exits 2 for them.
var errUsage = errors.New("usage")

// Run runs mimo with args (without the program name) and returns the exit
// code: 0 success, 1 failure, 2 bad usage or settings.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(env.Stderr, "mimo: unknown command %q; run 'mimo --help' for the list\n", args[0])
		return 2
	}
	fs := flag.NewFlagSet("mimo "+cmd.name, flag.ContinueOnError)
	// Help that was asked for goes to stdout, once; help after a flag
	// error goes to stderr with the error.
	fs.SetOutput(env.Stderr)
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			fs.SetOutput(env.Stdout)
		}
	}
	var opts commandOptions
	if cmd.flags != nil {
		cmd.flags(fs, &opts)
	}
	flags := bindFlags(fs, cmd.settings)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: mimo %s [flags] %s\n\n%s.\n\nFlags (each mirrors the environment variable in brackets):\n", cmd.name, cmd.args, capitalize(cmd.summary))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, err := loadConfig(fs, flags, env.Getenv)
	if err == nil && env.Environ != nil {
		err = checkEnviron(env.Environ())
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "mimo: %v\n", err)
		return 2
	}
	cfg.Cmd = opts
	if err := cmd.run(ctx, env, cfg, fs.Args()); err != nil {
		fmt.Fprintf(env.Stderr, "mimo %s: %s\n", cmd.name, errorLine(err))
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Mimo: a memory server for AI agents.")
	fmt.Fprintln(w, "\nUsage: mimo COMMAND [flags] [args]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %-24s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'mimo COMMAND --help' for a command's flags. Every flag mirrors a MIMO_* environment variable.\n'mimo --version' is 'mimo version'.")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// errorLine is how a failed command reports err: the client-safe message
// alone for the caller's mistakes (bad input, conflicts, missing things),
// the whole chain of causes for failures worth diagnosing.
func errorLine(err error) string {
	switch mimo.ErrorCode(err) {
	case mimo.EINVALID, mimo.ECONFLICT, mimo.ENOTFOUND:
		return mimo.ErrorMessage(err)
	}
	return err.Error()
}

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// settingErr is a setting found wrong only when used (an address that
// cannot be listened on): exit 2 as for bad usage, its message alone.
func settingErr(format string, args ...any) error {
	return badSetting{fmt.Errorf(format, args...)}
}

type badSetting struct{ error }

func (badSetting) Is(target error) bool { return target == errUsage }
