package testserver

import (
	"io/ioutil"
	"strings"
)

// TailLines returns the last n lines of the file at path.
func TailLines(path string, n int) ([]string, error) {
	data, err := ioutil.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}
