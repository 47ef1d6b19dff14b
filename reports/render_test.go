package reports

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// EnvScreenshots names a folder the render test writes its screenshots
// into (first screen and whole page, per run and viewport), for a person
// to look at; unset, they go to a temporary folder.
const EnvScreenshots = "MIMO_REPORT_SCREENSHOTS"

// chromium finds Debian's chromium (or another Chrome) for the render
// test. Without one it skips, and under CI=true fails: CI installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium on PATH: the report's render test needs headless Chromium (apt-get install chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// layout is what the render test reads of the page in the browser.
type layout struct {
	Top, Bottom, Left, Right float64 // the verdict's box
	ViewW, ViewH             float64
	ScrollW                  float64 // the page's width: wider than the view means sideways scrolling
	Heading, Why             string
	Resources                []string // anything the page loaded
	Charts                   int
	RowsShown                int
	Wide                     []string // elements reaching past the view's right edge
}

const readLayout = `(() => {
	const v = document.getElementById('verdict').getBoundingClientRect();
	return {
		Top: v.top, Bottom: v.bottom, Left: v.left, Right: v.right,
		ViewW: window.innerWidth, ViewH: window.innerHeight,
		ScrollW: document.documentElement.scrollWidth,
		Heading: document.querySelector('#verdict h1').innerText,
		Why: document.getElementById('why').innerText,
		Resources: performance.getEntriesByType('resource').map(e => e.name),
		Charts: document.querySelectorAll('svg.chart').length,
		RowsShown: [...document.querySelectorAll('table.criteria tbody tr')].filter(r => r.getBoundingClientRect().height > 0).length,
		Wide: [...document.querySelectorAll('body *')]
			.filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
			.slice(-5)
			.map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 60)),
	};
})()`

// TestThePageRendersInChromiumWithTheVerdictInTheFirstScreen renders the
// page of a ready and of a not-ready run in headless Chromium, on a phone's
// viewport and a laptop's, and checks what a release manager sees first:
// the verdict, whole, inside the first screen; no sideways scrolling; the
// success table's eight rows; charts drawn; nothing loaded from anywhere;
// no console or script error. It saves a PNG of the first screen.
func TestThePageRendersInChromiumWithTheVerdictInTheFirstScreen(t *testing.T) {
	exe := chromium(t)
	shots := os.Getenv(EnvScreenshots)
	if shots == "" {
		shots = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 800))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	// The browser starts with the first action on its first tab, and lives
	// as long as the context of that action: so no timeout there, and each
	// page gets a tab of its own, timed.
	browser, cancel := chromedp.NewContext(actx)
	defer cancel()
	require.NoError(t, chromedp.Do(browser, chromedp.Navigate("about:blank")), "starting %s", exe)

	for _, run := range []struct {
		name  string
		ready bool
	}{{"pass", true}, {"fail", false}} {
		out := t.TempDir()
		rep := build(t, run.name)
		require.NoError(t, Write(rep, out))
		page := "file://" + filepath.ToSlash(filepath.Join(out, HTMLFile))

		for _, view := range []struct {
			name string
			w, h int64
		}{{"phone", 390, 844}, {"laptop", 1280, 800}} {
			t.Run(run.name+"/"+view.name, func(t *testing.T) {
				ctx, cancel := chromedp.NewContext(browser)
				defer cancel()
				ctx, stop := context.WithTimeout(ctx, 60*time.Second)
				defer stop()

				var mu sync.Mutex
				var console []string
				// Subscribed before the page loads, read on the side until the
				// tab's context ends.
				messages := chromedp.Console(ctx)
				read := make(chan struct{})
				go func() {
					defer close(read)
					for m, err := range messages {
						if err != nil {
							return
						}
						if m.Type == chromedp.ConsoleError || m.IsException() {
							mu.Lock()
							console = append(console, m.String())
							mu.Unlock()
						}
					}
				}()
				require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(view.w, view.h), chromedp.Navigate(page)))
				l, err := chromedp.Run(ctx, chromedp.Evaluate[layout](readLayout))
				require.NoError(t, err)
				shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				require.NoError(t, err)
				full, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				require.NoError(t, err)
				stop()
				<-read

				want := "NOT READY for production"
				if run.ready {
					want = "READY for production"
				}
				assert.Equal(t, want, l.Heading)
				assert.Equal(t, rep.Why, l.Why)
				assert.GreaterOrEqual(t, l.Top, 0.0, "the verdict starts on the first screen")
				assert.LessOrEqual(t, l.Bottom, l.ViewH, "the verdict ends on the first screen: %+v", l)
				assert.GreaterOrEqual(t, l.Left, 0.0)
				assert.LessOrEqual(t, l.Right, l.ViewW)
				assert.LessOrEqual(t, l.ScrollW, l.ViewW, "nothing makes the page scroll sideways; too wide: %q", l.Wide)
				assert.Empty(t, l.Resources, "the page loads nothing: it is one self-contained file")
				assert.Equal(t, len(rep.Rows), l.RowsShown, "every row of the success table is shown")
				assert.Positive(t, l.Charts)
				mu.Lock()
				assert.Empty(t, console, "no console or script errors")
				mu.Unlock()

				img, err := png.Decode(bytes.NewReader(shot))
				require.NoError(t, err, "the screenshot is a PNG")
				assert.Equal(t, int(view.w), img.Bounds().Dx())
				assert.Equal(t, int(view.h), img.Bounds().Dy())
				base := filepath.Join(shots, run.name+"-"+view.name)
				require.NoError(t, os.WriteFile(base+".png", shot, 0o644))
				require.NoError(t, os.WriteFile(base+"-full.png", full, 0o644))
			})
		}
	}
}
