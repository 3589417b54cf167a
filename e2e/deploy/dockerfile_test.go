package deploy

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerStage is one FROM ... stage of a Dockerfile with its instructions (continuations
// joined, comments dropped).
type dockerStage struct {
	from  string
	instr []string
}

func parseDockerfile(src string) []dockerStage {
	var stages []dockerStage
	var cur strings.Builder
	lines := strings.Split(src, "\n")
	var joined []string
	for _, l := range lines {
		trimmed := strings.TrimSpace(l)
		if strings.HasPrefix(trimmed, "#") || trimmed == "" && cur.Len() == 0 {
			continue
		}
		if s, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(strings.TrimSpace(s) + " ")
			continue
		}
		cur.WriteString(trimmed)
		joined = append(joined, cur.String())
		cur.Reset()
	}
	for _, in := range joined {
		if strings.HasPrefix(strings.ToUpper(in), "FROM ") {
			stages = append(stages, dockerStage{from: in})
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].instr = append(stages[len(stages)-1].instr, in)
		}
	}
	return stages
}

func TestDockerfile(t *testing.T) {
	src := string(readFile(t, "Dockerfile"))
	stages := parseDockerfile(src)
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stages", len(stages))
	}
	build := strings.Join(stages[0].instr, "\n")
	if !strings.Contains(build, "CGO_ENABLED=0") {
		t.Errorf("the build stage must set CGO_ENABLED=0 (static binaries for a distroless image)")
	}
	// Every binary the deployments run is built, from a package that exists.
	built := map[string]bool{}
	for _, m := range regexp.MustCompile(`\./[A-Za-z0-9_./-]+`).FindAllString(build, -1) {
		if _, err := os.Stat(filepath.Join(repoRoot(t), m, "main.go")); err == nil {
			built[path.Base(m)] = true
		}
	}
	for _, bin := range []string{"runnel", "runnel-metadata", "runnel-storage", "runnel-gateway"} {
		if !built[bin] {
			t.Errorf("the build stage does not build %s (an existing package ./…/%s with main.go)", bin, bin)
		}
	}

	final := stages[len(stages)-1]
	if !strings.Contains(final.from, "distroless/static") && !strings.Contains(final.from, "scratch") {
		t.Errorf("final stage %q: want distroless static or scratch", final.from)
	}
	var user string
	for _, in := range final.instr {
		upper := strings.ToUpper(in)
		if strings.HasPrefix(upper, "USER ") {
			user = strings.TrimSpace(in[5:])
		}
		if strings.HasPrefix(upper, "ENTRYPOINT ") {
			t.Errorf("final stage sets %q: the command picks the binary, so no entrypoint", in)
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("final stage runs as %q, want a non-root USER", user)
	}

	// The compose services and the Kubernetes containers run binaries the image has.
	compose := loadCompose(t)
	for _, r := range runnelServices(t, compose) {
		if !built[r.svc.Command[0]] {
			t.Errorf("compose service %s runs %s, not built by the Dockerfile", r.name, r.svc.Command[0])
		}
	}
}

func TestParseDockerfile(t *testing.T) {
	src := "# c\nFROM a AS b\nRUN x \\\n  y\n\nFROM c\nUSER 1\n"
	st := parseDockerfile(src)
	if len(st) != 2 || st[0].from != "FROM a AS b" || len(st[0].instr) != 1 || st[0].instr[0] != "RUN x y" ||
		st[1].from != "FROM c" || st[1].instr[0] != "USER 1" {
		t.Errorf("parseDockerfile = %+v", st)
	}
}
