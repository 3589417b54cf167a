package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type dashboardPanel struct {
	Type       string           `json:"type"`
	Title      string           `json:"title"`
	Datasource *datasourceRef   `json:"datasource"`
	Targets    []panelTarget    `json:"targets"`
	Panels     []dashboardPanel `json:"panels"` // collapsed rows
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panelTarget struct {
	Expr       string         `json:"expr"`
	Datasource *datasourceRef `json:"datasource"`
}

type dashboard struct {
	UID        string           `json:"uid"`
	Title      string           `json:"title"`
	Panels     []dashboardPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Datasource *datasourceRef  `json:"datasource"`
			Query      json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// dashboardFiles returns the dashboard JSON files Grafana loads.
func dashboardFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir(t), "grafana", "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in deployments/grafana/dashboards (%v)", err)
	}
	return files
}

func loadDashboard(t *testing.T, path string) dashboard {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: not valid dashboard JSON: %v", path, err)
	}
	if d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("%s: uid, title and panels are required", path)
	}
	return d
}

// queries returns every PromQL expression of a dashboard (panels, nested panels, and template
// variable queries), each with where it is.
func (d dashboard) queries() (exprs map[string][]string, templates map[string][]string) {
	exprs = map[string][]string{}
	var walk func([]dashboardPanel)
	walk = func(ps []dashboardPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				if tg.Expr != "" {
					exprs[p.Title] = append(exprs[p.Title], tg.Expr)
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	templates = map[string][]string{}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q string
		if json.Unmarshal(v.Query, &q) != nil {
			var obj struct {
				Query string `json:"query"`
			}
			_ = json.Unmarshal(v.Query, &obj)
			q = obj.Query
		}
		templates["$"+v.Name] = append(templates["$"+v.Name], q)
	}
	return exprs, templates
}

func TestDashboardMetricsKnown(t *testing.T) {
	known := seriesNames()
	for _, path := range dashboardFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			d := loadDashboard(t, path)
			exprs, templates := d.queries()
			if len(exprs) == 0 {
				t.Fatal("no panel queries")
			}
			check := func(where, expr string, names []string) {
				if len(names) == 0 {
					t.Errorf("%s: query %q selects no metric", where, expr)
				}
				for _, n := range names {
					if _, ok := known[n]; !ok {
						t.Errorf("%s: query %q uses %s, not a known metric (knownMetrics)", where, expr, n)
					}
				}
			}
			for title, es := range exprs {
				for _, e := range es {
					check("panel "+title, e, metricNames(e))
				}
			}
			for name, qs := range templates {
				for _, q := range qs {
					check("variable "+name, q, templateMetricNames(q))
				}
			}
		})
	}
}

// requiredMetrics are what the dashboard must show (issue 5): produce and fetch throughput in
// records and bytes, latency percentiles, under-replicated and offline partitions, group lag.
var requiredMetrics = []string{
	"runnel_gateway_produce_records_total",
	"runnel_gateway_produce_bytes_total",
	"runnel_gateway_consume_records_total",
	"runnel_gateway_consume_bytes_total",
	"runnel_gateway_produce_latency_milliseconds_bucket",
	"runnel_gateway_request_latency_milliseconds_bucket",
	"runnel_controller_under_replicated_partitions",
	"runnel_controller_offline_partitions",
	"runnel_group_lag",
}

func TestDashboardCoversRequiredMetrics(t *testing.T) {
	used := map[string]bool{}
	for _, path := range dashboardFiles(t) {
		exprs, _ := loadDashboard(t, path).queries()
		for _, es := range exprs {
			for _, e := range es {
				for _, n := range metricNames(e) {
					used[n] = true
				}
				if strings.Contains(e, "_bucket") && !strings.Contains(e, "histogram_quantile(") {
					t.Errorf("query %q reads histogram buckets without histogram_quantile", e)
				}
			}
		}
	}
	for _, m := range requiredMetrics {
		if !used[m] {
			t.Errorf("no dashboard panel queries %s", m)
		}
	}
}

func TestGrafanaProvisioning(t *testing.T) {
	var ds struct {
		Datasources []struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
			Type string `json:"type"`
			URL  string `json:"url"`
		} `json:"datasources"`
	}
	decodeYAML(t, "datasources.yaml", readFile(t, "grafana/provisioning/datasources/datasources.yaml"), &ds)
	compose := loadCompose(t)
	uids := map[string]string{}
	for _, d := range ds.Datasources {
		uids[d.UID] = d.Type
		host := strings.TrimPrefix(d.URL, "http://")
		host, _, _ = strings.Cut(host, ":")
		if _, ok := compose.Services[host]; !ok {
			t.Errorf("datasource %s points at %s, not a compose service", d.Name, d.URL)
		}
	}
	if uids["prometheus"] != "prometheus" {
		t.Errorf("no Prometheus datasource with uid prometheus: %v", uids)
	}
	for _, path := range dashboardFiles(t) {
		d := loadDashboard(t, path)
		var walk func([]dashboardPanel)
		walk = func(ps []dashboardPanel) {
			for _, p := range ps {
				refs := []*datasourceRef{p.Datasource}
				for _, tg := range p.Targets {
					refs = append(refs, tg.Datasource)
				}
				for _, r := range refs {
					if r != nil && r.UID != "" && uids[r.UID] == "" {
						t.Errorf("%s panel %q uses datasource uid %q, not provisioned", filepath.Base(path), p.Title, r.UID)
					}
				}
				walk(p.Panels)
			}
		}
		walk(d.Panels)
	}

	var prov struct {
		Providers []struct {
			Options struct {
				Path string `json:"path"`
			} `json:"options"`
		} `json:"providers"`
	}
	decodeYAML(t, "dashboards.yaml", readFile(t, "grafana/provisioning/dashboards/dashboards.yaml"), &prov)
	if len(prov.Providers) != 1 {
		t.Fatalf("want one dashboard provider, got %d", len(prov.Providers))
	}
	mounts := map[string]string{}
	for _, v := range compose.Services["grafana"].Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 {
			mounts[parts[0]] = parts[1]
		}
	}
	if got := mounts["./grafana/dashboards"]; got != prov.Providers[0].Options.Path {
		t.Errorf("grafana mounts ./grafana/dashboards at %q, the provider reads %q", got, prov.Providers[0].Options.Path)
	}
	if mounts["./grafana/provisioning"] != "/etc/grafana/provisioning" {
		t.Errorf("grafana must mount ./grafana/provisioning at /etc/grafana/provisioning, got %q", mounts["./grafana/provisioning"])
	}
}
