package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type k8sObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec      json.RawMessage   `json:"spec"`
	Data      map[string]string `json:"data"`
	Resources []string          `json:"resources"` // Kustomization
	file      string
}

type labelSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type workloadSpec struct {
	Replicas            *int   `json:"replicas"`
	ServiceName         string `json:"serviceName"`
	PodManagementPolicy string `json:"podManagementPolicy"`
	Ordinals            *struct {
		Start int `json:"start"`
	} `json:"ordinals"`
	Selector labelSelector `json:"selector"`
	Template struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec podSpec `json:"spec"`
	} `json:"template"`
	VolumeClaimTemplates []struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	} `json:"volumeClaimTemplates"`
}

type podSpec struct {
	SecurityContext *struct {
		RunAsNonRoot *bool `json:"runAsNonRoot"`
	} `json:"securityContext"`
	Containers []container `json:"containers"`
}

type container struct {
	Name    string   `json:"name"`
	Image   string   `json:"image"`
	Command []string `json:"command"`
	Args    []string `json:"args"`
	Env     []struct {
		Name      string `json:"name"`
		Value     string `json:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `json:"fieldPath"`
			} `json:"fieldRef"`
		} `json:"valueFrom"`
	} `json:"env"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `json:"name"`
		} `json:"configMapRef"`
	} `json:"envFrom"`
	Ports []struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
	} `json:"ports"`
	ReadinessProbe *probe `json:"readinessProbe"`
	LivenessProbe  *probe `json:"livenessProbe"`
	VolumeMounts   []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
	} `json:"volumeMounts"`
}

type probe struct {
	HTTPGet *struct {
		Path string          `json:"path"`
		Port json.RawMessage `json:"port"`
	} `json:"httpGet"`
}

type serviceSpec struct {
	ClusterIP                string            `json:"clusterIP"`
	PublishNotReadyAddresses bool              `json:"publishNotReadyAddresses"`
	Selector                 map[string]string `json:"selector"`
	Ports                    []struct {
		Name       string          `json:"name"`
		Port       int             `json:"port"`
		TargetPort json.RawMessage `json:"targetPort"`
	} `json:"ports"`
}

type pdbSpec struct {
	MaxUnavailable json.RawMessage `json:"maxUnavailable"`
	MinAvailable   json.RawMessage `json:"minAvailable"`
	Selector       labelSelector   `json:"selector"`
}

// k8sObjects parses every YAML document in deployments/k8s.
func k8sObjects(t *testing.T) []k8sObject {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir(t), "k8s", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deployments/k8s (%v)", err)
	}
	var objs []k8sObject
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocs(data) {
			var o k8sObject
			where := fmt.Sprintf("k8s/%s document %d", filepath.Base(f), i+1)
			decodeYAML(t, where, doc, &o)
			if o.APIVersion == "" || o.Kind == "" {
				t.Fatalf("%s: apiVersion and kind are required", where)
			}
			if o.Kind != "Kustomization" && o.Metadata.Name == "" {
				t.Fatalf("%s: metadata.name is required", where)
			}
			o.file = filepath.Base(f)
			objs = append(objs, o)
		}
	}
	return objs
}

// find returns the object of that kind and name.
func find(t *testing.T, objs []k8sObject, kind, name string) k8sObject {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	t.Fatalf("no %s %s in deployments/k8s", kind, name)
	return k8sObject{}
}

func spec[T any](t *testing.T, o k8sObject) T {
	t.Helper()
	var s T
	if err := json.Unmarshal(o.Spec, &s); err != nil {
		t.Fatalf("%s %s spec: %v", o.Kind, o.Metadata.Name, err)
	}
	return s
}

// selects reports whether every selector label is among labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestK8sKinds(t *testing.T) {
	objs := k8sObjects(t)
	want := map[string]int{"Namespace": 1, "ConfigMap": 1, "Service": 3, "StatefulSet": 2, "Deployment": 1,
		"PodDisruptionBudget": 2, "Kustomization": 1}
	apis := map[string]string{"Namespace": "v1", "ConfigMap": "v1", "Service": "v1", "StatefulSet": "apps/v1",
		"Deployment": "apps/v1", "PodDisruptionBudget": "policy/v1", "Kustomization": "kustomize.config.k8s.io/v1beta1"}
	got := map[string]int{}
	files := map[string]bool{}
	var kust k8sObject
	for _, o := range objs {
		got[o.Kind]++
		if apis[o.Kind] != o.APIVersion {
			t.Errorf("%s %s: apiVersion %q, want %q", o.Kind, o.Metadata.Name, o.APIVersion, apis[o.Kind])
		}
		if o.Kind == "Kustomization" {
			kust = o
		} else {
			files[o.file] = true
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("kinds = %v, want %v", got, want)
	}
	listed := map[string]bool{}
	for _, r := range kust.Resources {
		listed[r] = true
	}
	if !maps.Equal(listed, files) {
		t.Errorf("kustomization resources %v, want every manifest file %v", slices.Sorted(maps.Keys(listed)), slices.Sorted(maps.Keys(files)))
	}
}

// podWorkload is a StatefulSet or Deployment with its one container's parsed flags.
type podWorkload struct {
	obj   k8sObject
	spec  workloadSpec
	c     container
	flags map[string]string
	kind  string // metadata, storage, gateway
}

func workload(t *testing.T, objs []k8sObject, kind, name string) podWorkload {
	t.Helper()
	o := find(t, objs, kind, name)
	s := spec[workloadSpec](t, o)
	if len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("%s %s: want one container, got %d", kind, name, len(s.Template.Spec.Containers))
	}
	c := s.Template.Spec.Containers[0]
	if len(c.Command) != 1 {
		t.Fatalf("%s %s: command must be the binary alone, got %q", kind, name, c.Command)
	}
	flags, err := cmdFlags(c.Args)
	if err != nil {
		t.Fatalf("%s %s: %v", kind, name, err)
	}
	w := podWorkload{obj: o, spec: s, c: c, flags: flags}
	for k, bin := range serviceBinaries {
		if c.Command[0] == bin {
			w.kind = k
		}
	}
	if w.kind == "" {
		t.Fatalf("%s %s runs %q, not a Runnel service binary", kind, name, c.Command[0])
	}
	return w
}

func (w podWorkload) env(name string) (value, fieldPath string, ok bool) {
	for _, e := range w.c.Env {
		if e.Name == name {
			if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
				return "", e.ValueFrom.FieldRef.FieldPath, true
			}
			return e.Value, "", true
		}
	}
	return "", "", false
}

func (w podWorkload) containerPort(name string) int {
	for _, p := range w.c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// checkContainer checks what every Runnel container needs: accepted flags, defined $(VARS),
// probes on the HTTP port, OTEL settings and a non-root pod.
func checkContainer(t *testing.T, objs []k8sObject, w podWorkload) {
	t.Helper()
	var env []string
	defined := map[string]bool{}
	for _, e := range w.c.Env {
		env = append(env, e.Name)
		defined[e.Name] = true
	}
	checkFlags(t, w.obj.file, serviceBinaries[w.kind], w.flags, env)
	for _, a := range w.c.Args {
		for _, m := range varRef.FindAllStringSubmatch(a, -1) {
			if !defined[m[1]] {
				t.Errorf("argument %q uses $(%s), not in the container's env (Kubernetes would pass it verbatim)", a, m[1])
			}
		}
	}
	httpPort := port(t, "--http-addr", w.flags["http-addr"])
	if strconv.Itoa(w.containerPort("http")) != httpPort {
		t.Errorf("container port http = %d, --http-addr port is %s", w.containerPort("http"), httpPort)
	}
	if strconv.Itoa(w.containerPort("grpc")) != port(t, "--grpc-addr", w.flags["grpc-addr"]) {
		t.Errorf("container port grpc = %d, --grpc-addr=%s", w.containerPort("grpc"), w.flags["grpc-addr"])
	}
	for _, p := range []struct {
		name  string
		probe *probe
		path  string
	}{{"readiness", w.c.ReadinessProbe, "/readyz"}, {"liveness", w.c.LivenessProbe, "/healthz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("no %s probe with httpGet", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || string(p.probe.HTTPGet.Port) != `"http"` {
			t.Errorf("%s probe: GET %s on port %s, want %s on port \"http\"", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port, p.path)
		}
	}
	if got, _, _ := w.env("OTEL_SERVICE_NAME"); got != serviceBinaries[w.kind] {
		t.Errorf("OTEL_SERVICE_NAME=%q, want %q", got, serviceBinaries[w.kind])
	}
	var otel bool
	for _, ef := range w.c.EnvFrom {
		if ef.ConfigMapRef == nil {
			continue
		}
		cm := find(t, objs, "ConfigMap", ef.ConfigMapRef.Name)
		otel = otel || cm.Data["OTEL_EXPORTER_OTLP_ENDPOINT"] != "" && cm.Data["OTEL_TRACES_SAMPLER"] != ""
	}
	if !otel {
		t.Errorf("no envFrom ConfigMap with OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_TRACES_SAMPLER")
	}
	sc := w.spec.Template.Spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("pod securityContext.runAsNonRoot must be true")
	}
	if !selects(w.spec.Selector.MatchLabels, w.spec.Template.Metadata.Labels) {
		t.Errorf("selector %v does not select the pod template's labels %v", w.spec.Selector.MatchLabels, w.spec.Template.Metadata.Labels)
	}
}

// checkStatefulSet checks the stable identity parts: replicas, headless Service, volumes.
func checkStatefulSet(t *testing.T, objs []k8sObject, w podWorkload) serviceSpec {
	t.Helper()
	if w.spec.Replicas == nil || *w.spec.Replicas != 3 {
		t.Errorf("replicas = %v, want 3", w.spec.Replicas)
	}
	if w.spec.PodManagementPolicy != "Parallel" {
		t.Errorf("podManagementPolicy %q: use Parallel (a node is ready only once its peers are up)", w.spec.PodManagementPolicy)
	}
	svc := spec[serviceSpec](t, find(t, objs, "Service", w.spec.ServiceName))
	if svc.ClusterIP != "None" || !svc.PublishNotReadyAddresses {
		t.Errorf("Service %s: want headless (clusterIP None) publishing not-ready addresses", w.spec.ServiceName)
	}
	if !selects(svc.Selector, w.spec.Template.Metadata.Labels) {
		t.Errorf("Service %s selector %v does not select the pods", w.spec.ServiceName, svc.Selector)
	}
	if len(w.spec.VolumeClaimTemplates) == 0 {
		t.Fatalf("no volumeClaimTemplates")
	}
	claim := w.spec.VolumeClaimTemplates[0].Metadata.Name
	var mounted bool
	for _, m := range w.c.VolumeMounts {
		mounted = mounted || m.Name == claim && m.MountPath == w.flags["data-dir"]
	}
	if !mounted {
		t.Errorf("volume claim %s is not mounted at --data-dir=%s", claim, w.flags["data-dir"])
	}
	return svc
}

// podDNS returns the stable names "<set>-<ordinal>.<service>" of a StatefulSet's pods.
func podDNS(w podWorkload) []string {
	start := 0
	if w.spec.Ordinals != nil {
		start = w.spec.Ordinals.Start
	}
	var out []string
	for i := 0; i < *w.spec.Replicas; i++ {
		out = append(out, fmt.Sprintf("%s-%d.%s", w.obj.Metadata.Name, start+i, w.spec.ServiceName))
	}
	return out
}

func metadataAddrs(t *testing.T, meta podWorkload) []string {
	t.Helper()
	var out []string
	for _, h := range podDNS(meta) {
		out = append(out, h+":"+port(t, "metadata --grpc-addr", meta.flags["grpc-addr"]))
	}
	slices.Sort(out)
	return out
}

func TestK8sMetadata(t *testing.T) {
	objs := k8sObjects(t)
	w := workload(t, objs, "StatefulSet", "runnel-metadata")
	checkContainer(t, objs, w)
	svc := checkStatefulSet(t, objs, w)
	if w.kind != "metadata" {
		t.Fatalf("runs %s", w.c.Command[0])
	}
	if w.flags["id"] != "$(POD_NAME)" {
		t.Errorf("--id=%s, want $(POD_NAME)", w.flags["id"])
	}
	if _, fp, _ := w.env("POD_NAME"); fp != "metadata.name" {
		t.Errorf("POD_NAME comes from %q, want fieldRef metadata.name", fp)
	}
	peerPort := port(t, "--etcd-peer-addr", w.flags["etcd-peer-addr"])
	if want := "$(POD_NAME)." + w.spec.ServiceName + ":" + peerPort; w.flags["etcd-peer-addr"] != want {
		t.Errorf("--etcd-peer-addr=%s, want %s (the stable DNS name)", w.flags["etcd-peer-addr"], want)
	}
	var members []string
	for _, h := range podDNS(w) {
		pod, _, _ := strings.Cut(h, ".")
		members = append(members, pod+"=http://"+h+":"+peerPort)
	}
	if got := w.flags["initial-cluster"]; got != strings.Join(members, ",") {
		t.Errorf("--initial-cluster=%s\nwant %s", got, strings.Join(members, ","))
	}
	var servesPeer bool
	for _, p := range svc.Ports {
		servesPeer = servesPeer || strconv.Itoa(p.Port) == peerPort
	}
	if !servesPeer {
		t.Errorf("headless Service %s has no port %s (etcd peers)", w.spec.ServiceName, peerPort)
	}
}

func TestK8sStorage(t *testing.T) {
	objs := k8sObjects(t)
	meta := workload(t, objs, "StatefulSet", "runnel-metadata")
	w := workload(t, objs, "StatefulSet", "runnel-storage")
	checkContainer(t, objs, w)
	checkStatefulSet(t, objs, w)
	if w.kind != "storage" {
		t.Fatalf("runs %s", w.c.Command[0])
	}
	// The id must be a positive integer: the pod's ordinal, numbered from ordinals.start >= 1.
	m := regexp.MustCompile(`^\$\(([A-Z_]+)\)$`).FindStringSubmatch(w.flags["id"])
	if m == nil {
		t.Fatalf("--id=%s, want $(VAR) with VAR the pod's ordinal", w.flags["id"])
	}
	if _, fp, _ := w.env(m[1]); fp != "metadata.labels['apps.kubernetes.io/pod-index']" {
		t.Errorf("%s comes from %q, want the pod-index label", m[1], fp)
	}
	if w.spec.Ordinals == nil || w.spec.Ordinals.Start < 1 {
		t.Errorf("ordinals.start must be at least 1 (storage ids are positive)")
	}
	if want := "$(POD_NAME)." + w.spec.ServiceName + ":" + port(t, "--grpc-addr", w.flags["grpc-addr"]); w.flags["advertise-addr"] != want {
		t.Errorf("--advertise-addr=%s, want %s", w.flags["advertise-addr"], want)
	}
	if got, want := sortedSplit(w.flags["metadata"]), metadataAddrs(t, meta); !slices.Equal(got, want) {
		t.Errorf("--metadata lists %v, want %v", got, want)
	}
}

func TestK8sGateway(t *testing.T) {
	objs := k8sObjects(t)
	meta := workload(t, objs, "StatefulSet", "runnel-metadata")
	w := workload(t, objs, "Deployment", "runnel-gateway")
	checkContainer(t, objs, w)
	if w.kind != "gateway" {
		t.Fatalf("runs %s", w.c.Command[0])
	}
	if got, want := sortedSplit(w.flags["metadata"]), metadataAddrs(t, meta); !slices.Equal(got, want) {
		t.Errorf("--metadata lists %v, want %v", got, want)
	}
	svc := spec[serviceSpec](t, find(t, objs, "Service", "runnel-gateway"))
	if !selects(svc.Selector, w.spec.Template.Metadata.Labels) {
		t.Errorf("Service runnel-gateway does not select the gateway pods")
	}
	ports := map[int]string{}
	for _, p := range svc.Ports {
		var target string
		if json.Unmarshal(p.TargetPort, &target) != nil || w.containerPort(target) == 0 {
			t.Errorf("Service port %d: targetPort %s is not a named container port", p.Port, p.TargetPort)
		}
		ports[p.Port] = target
	}
	if ports[8080] != "http" || ports[9090] != "grpc" {
		t.Errorf("Service ports %v, want 8080 -> http (REST) and 9090 -> grpc", ports)
	}
}

func TestK8sDisruptionBudgets(t *testing.T) {
	objs := k8sObjects(t)
	var workloads []podWorkload
	for _, o := range objs {
		if o.Kind == "StatefulSet" || o.Kind == "Deployment" {
			workloads = append(workloads, workload(t, objs, o.Kind, o.Metadata.Name))
		}
	}
	for _, name := range []string{"runnel-metadata", "runnel-storage"} {
		t.Run(name, func(t *testing.T) {
			pdb := spec[pdbSpec](t, find(t, objs, "PodDisruptionBudget", name))
			if string(pdb.MaxUnavailable) != "1" || len(pdb.MinAvailable) != 0 {
				t.Errorf("maxUnavailable %s minAvailable %s, want maxUnavailable 1 alone", pdb.MaxUnavailable, pdb.MinAvailable)
			}
			var matched []string
			for _, w := range workloads {
				if selects(pdb.Selector.MatchLabels, w.spec.Template.Metadata.Labels) {
					matched = append(matched, w.obj.Metadata.Name)
				}
			}
			if !slices.Equal(matched, []string{name}) {
				t.Errorf("selector %v matches the pods of %v, want only %s", pdb.Selector.MatchLabels, matched, name)
			}
		})
	}
}
