package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const statusSample = `Name:	mimo
Umask:	0022
State:	S (sleeping)
Pid:	4242
VmPeak:	 1852356 kB
VmSize:	 1787012 kB
VmHWM:	  231552 kB
VmRSS:	  187904 kB
RssAnon:	  150000 kB
Threads:	9
`

func TestParseProcStatusReadsRSSAndPeakInBytes(t *testing.T) {
	m, err := parseProcStatus(strings.NewReader(statusSample))
	require.NoError(t, err)
	assert.EqualValues(t, 187904*1024, m.RSSBytes)
	assert.EqualValues(t, 231552*1024, m.PeakBytes)
	assert.Equal(t, 183.5, m.RSSMB)
	assert.Equal(t, 226.1, m.PeakMB)
}

func TestParseProcStatusRejectsWhatIsNotAFigure(t *testing.T) {
	for name, text := range map[string]string{
		"zombie, no Vm lines": "Name:\tmimo\nState:\tZ (zombie)\n",
		"no peak":             "VmRSS:\t 100 kB\n",
		"wrong unit":          "VmHWM:\t 1 kB\nVmRSS:\t 100 MB\n",
		"not a number":        "VmHWM:\t 1 kB\nVmRSS:\t lots kB\n",
		"negative":            "VmHWM:\t 1 kB\nVmRSS:\t -5 kB\n",
	} {
		_, err := parseProcStatus(strings.NewReader(text))
		assert.Error(t, err, name)
	}
}

func TestReadProcMemoryOfThisProcess(t *testing.T) {
	m, err := readProcMemory(os.Getpid())
	require.NoError(t, err)
	assert.Greater(t, m.RSSBytes, int64(1<<20))
	assert.GreaterOrEqual(t, m.PeakBytes, m.RSSBytes)
}

func TestParseCPUInfo(t *testing.T) {
	text := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC   7B13 64-Core Processor\n\n" +
		"processor\t: 1\nmodel name\t: AMD EPYC   7B13 64-Core Processor\n"
	c, err := parseCPUInfo(strings.NewReader(text))
	require.NoError(t, err)
	assert.Equal(t, CPUInfo{Model: "AMD EPYC 7B13 64-Core Processor", Cores: 2}, c)

	c, err = parseCPUInfo(strings.NewReader("processor\t: 0\nBogoMIPS\t: 50.00\n"))
	require.NoError(t, err)
	assert.Equal(t, CPUInfo{Cores: 1}, c, "no model name is not an error")
}

func TestParseLoadAverage(t *testing.T) {
	la, err := parseLoadAverage("0.52 1.58 2.59 1/389 12345\n")
	require.NoError(t, err)
	assert.Equal(t, []float64{0.52, 1.58, 2.59}, la)
	_, err = parseLoadAverage("0.52 x 2.59 1/389 12345")
	assert.Error(t, err)
	_, err = parseLoadAverage("")
	assert.Error(t, err)
	assert.Len(t, readLoadAverage(), 3)
}
