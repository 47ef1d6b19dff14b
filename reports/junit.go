package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"mimo/harness/record"
)

// JUnit XML, as CI systems read it (the Ant/Jenkins schema): a test suite
// per scenario package with a test case per record, and a failing case
// per missing scenario; plus a suite "release sign-off" with a case per
// row of the success table, failing when the row blocks.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// RenderJUnit writes rep as JUnit XML to w. A missing scenario is an
// error case (it never reported), a failed one a failure.
func RenderJUnit(w io.Writer, rep *Report) error {
	suites := junitSuites{Name: "mimo release sign-off"}
	byPkg := map[string]*junitSuite{}
	var order []string
	for _, v := range rep.Scenarios {
		s, ok := byPkg[v.Package]
		if !ok {
			s = &junitSuite{Name: v.Package}
			byPkg[v.Package] = s
			order = append(order, v.Package)
		}
		class := strings.ReplaceAll(v.Package, "/", ".")
		if len(v.Records) == 0 {
			c := junitCase{Name: v.Test, Classname: class, Time: "0"}
			if v.Status == NotRun {
				c.Skipped = &junitMessage{Message: "opt-in, not run: " + v.SkipReason}
			} else {
				c.Error = &junitMessage{Message: "no record: the scenario did not run to its end"}
			}
			s.Cases = append(s.Cases, c)
			continue
		}
		for _, r := range v.Records {
			c := junitCase{Name: r.Scenario, Classname: class, Time: fmt.Sprintf("%.3f", r.Duration.Seconds()), SystemOut: r.Claim}
			switch r.Verdict {
			case record.Fail:
				var ev []string
				for _, e := range r.Evidence {
					ev = append(ev, "["+e.Kind+"] "+tail(e.Text, 2000))
				}
				c.Failure = &junitMessage{Message: r.Claim, Text: strings.Join(ev, "\n\n")}
			case record.Skip:
				c.Skipped = &junitMessage{Message: "skipped"}
			}
			s.Cases = append(s.Cases, c)
		}
	}
	signoff := junitSuite{Name: "release sign-off"}
	for _, row := range rep.Rows {
		c := junitCase{Name: row.Title, Classname: "signoff", Time: "0", SystemOut: row.Figure}
		switch {
		case row.Blocks:
			c.Failure = &junitMessage{Message: row.Why, Text: row.Figure}
		case row.Status == NotRun || row.Status == Skip:
			c.Skipped = &junitMessage{Message: row.Why}
		}
		signoff.Cases = append(signoff.Cases, c)
	}
	all := []*junitSuite{&signoff}
	for _, p := range order {
		all = append(all, byPkg[p])
	}
	for _, s := range all {
		total := 0.0
		for _, c := range s.Cases {
			s.Tests++
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			case c.Skipped != nil:
				s.Skipped++
			}
			var t float64
			fmt.Sscan(c.Time, &t)
			total += t
		}
		s.Time = fmt.Sprintf("%.3f", total)
		suites.Tests += s.Tests
		suites.Failures += s.Failures
		suites.Errors += s.Errors
		suites.Skipped += s.Skipped
		suites.Suites = append(suites.Suites, *s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suites); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
