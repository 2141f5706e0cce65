// godecode: what Go's encoding/json makes of image configs and containers' config.v2.json, for
// layergc's differential test (tests/godiff/godiff_test.cpp, docs/safety.md "Decode parity with
// dockerd"). Standard library only; built offline with GO111MODULE=off.
//
// The structs below have the shapes of the types dockerd decodes into (moby v20.10.24:
// image/image.go Image and V1Image, image/rootfs.go RootFS, image/history.go History,
// api/types/container/config.go Config, api/types/strslice StrSlice, container/container.go
// Container, container/state.go State). They are written here from those shapes; no moby code is
// copied. Field types that change how decoding proceeds are kept (time.Time and StrSlice have
// their own UnmarshalJSON, whose error stops the decoding; pointers; slices; maps).
//
// Usage: godecode DIR       one JSON line per file in DIR (sorted by name): files named
//                           "image-*" are decoded as dockerd decodes an image config
//                           (json.Unmarshal into *Image), "container-*" as a container's config
//                           (json.NewDecoder(f).Decode into *Container, State pre-set as
//                           newBaseContainer does)
//        godecode -folds    the non-ASCII runes whose Unicode simple-fold orbit holds an ASCII
//                           letter (what any Go version's key matching could fold), one a line
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"
)

type DiffID string

type RootFS struct {
	Type    string   `json:"type"`
	DiffIDs []DiffID `json:"diff_ids,omitempty"`
}

type StrSlice []string

// UnmarshalJSON accepts a string or a list of strings, as moby's strslice.StrSlice does.
func (e *StrSlice) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		*e = nil
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		var one string
		if err2 := json.Unmarshal(b, &one); err2 != nil {
			return err
		}
		list = []string{one}
	}
	*e = list
	return nil
}

type HealthConfig struct {
	Test        []string      `json:",omitempty"`
	Interval    time.Duration `json:",omitempty"`
	Timeout     time.Duration `json:",omitempty"`
	StartPeriod time.Duration `json:",omitempty"`
	Retries     int           `json:",omitempty"`
}

type ContainerConfig struct {
	Hostname        string
	Domainname      string
	User            string
	AttachStdin     bool
	AttachStdout    bool
	AttachStderr    bool
	ExposedPorts    map[string]struct{} `json:",omitempty"`
	Tty             bool
	OpenStdin       bool
	StdinOnce       bool
	Env             []string
	Cmd             StrSlice
	Healthcheck     *HealthConfig `json:",omitempty"`
	ArgsEscaped     bool          `json:",omitempty"`
	Image           string
	Volumes         map[string]struct{}
	WorkingDir      string
	Entrypoint      StrSlice
	NetworkDisabled bool   `json:",omitempty"`
	MacAddress      string `json:",omitempty"`
	OnBuild         []string
	Labels          map[string]string
	StopSignal      string   `json:",omitempty"`
	StopTimeout     *int     `json:",omitempty"`
	Shell           StrSlice `json:",omitempty"`
}

type V1Image struct {
	ID              string           `json:"id,omitempty"`
	Parent          string           `json:"parent,omitempty"`
	Comment         string           `json:"comment,omitempty"`
	Created         time.Time        `json:"created"`
	Container       string           `json:"container,omitempty"`
	ContainerConfig ContainerConfig  `json:"container_config,omitempty"`
	DockerVersion   string           `json:"docker_version,omitempty"`
	Author          string           `json:"author,omitempty"`
	Config          *ContainerConfig `json:"config,omitempty"`
	Architecture    string           `json:"architecture,omitempty"`
	Variant         string           `json:"variant,omitempty"`
	OS              string           `json:"os,omitempty"`
	Size            int64            `json:",omitempty"`
}

type History struct {
	Created    time.Time `json:"created"`
	Author     string    `json:"author,omitempty"`
	CreatedBy  string    `json:"created_by,omitempty"`
	Comment    string    `json:"comment,omitempty"`
	EmptyLayer bool      `json:"empty_layer,omitempty"`
}

type Image struct {
	V1Image
	Parent     string    `json:"parent,omitempty"` //nolint:govet
	RootFS     *RootFS   `json:"rootfs,omitempty"`
	History    []History `json:"history,omitempty"`
	OSVersion  string    `json:"os.version,omitempty"`
	OSFeatures []string  `json:"os.features,omitempty"`
}

type Health struct {
	Status        string
	FailingStreak int
}

type State struct {
	Running           bool
	Paused            bool
	Restarting        bool
	OOMKilled         bool
	RemovalInProgress bool
	Dead              bool
	Pid               int
	ExitCodeValue     int    `json:"ExitCode"`
	ErrorMsg          string `json:"Error"`
	StartedAt         time.Time
	FinishedAt        time.Time
	Health            *Health
}

type MountPoint struct {
	Source      string
	Destination string
	RW          bool
	Name        string
	Driver      string
	Type        string `json:",omitempty"`
}

type Container struct {
	StreamConfig *struct{}
	*State       `json:"State"`
	ID           string
	Created      time.Time
	Managed      bool
	Path         string
	Args         []string
	Config       *ContainerConfig
	ImageID      string `json:"Image"`
	NetworkSettings        *json.RawMessage
	LogPath                string
	Name                   string
	Driver                 string
	OS                     string
	MountLabel             string
	ProcessLabel           string
	RestartCount           int
	HasBeenStartedBefore   bool
	HasBeenManuallyStopped bool
	MountPoints            map[string]*MountPoint
	AppArmorProfile        string
	HostnamePath           string
	HostsPath              string
	ShmPath                string
	ResolvConfPath         string
	SeccompProfile         string
	NoNewPrivileges        bool
}

type imageOut struct {
	Err       string   `json:"err"`
	RootFSNil bool     `json:"rootfs_nil"`
	DiffIDs   []string `json:"diff_ids"`
	Chains    []string `json:"chains"` // hex of every prefix's chain ID, as layer.CreateChainID
}

type containerOut struct {
	Err      string `json:"err"`
	Driver   string `json:"driver"`
	StateNil bool   `json:"state_nil"`
	Dead     bool   `json:"dead"`
}

type result struct {
	Name      string        `json:"name"`
	Valid     bool          `json:"valid"`  // syntax: json.Valid (image) or the decoder's first value (container)
	Tokens    []string      `json:"tokens"` // Decoder.Token stream of the (first) value, when valid
	Image     *imageOut     `json:"image,omitempty"`
	Container *containerOut `json:"container,omitempty"`
}

// tokens lists the decoded tokens of the first value in data: "{", "}", "[", "]", "k:<key>",
// "s:<string>", "n:<number literal>", "b:true", "b:false", "null".
func tokens(data []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []string
	type frame struct {
		object bool
		key    bool // the next string in this object is a key
	}
	var stack []frame
	for {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].key
		switch v := t.(type) {
		case json.Delim:
			out = append(out, v.String())
			if v == '{' || v == '[' {
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].key = true
				}
				stack = append(stack, frame{object: v == '{', key: true})
			} else {
				stack = stack[:len(stack)-1]
			}
		case string:
			if isKey {
				out = append(out, "k:"+v)
				stack[len(stack)-1].key = false
				continue
			}
			out = append(out, "s:"+v)
		case json.Number:
			out = append(out, "n:"+string(v))
		case bool:
			out = append(out, fmt.Sprintf("b:%v", v))
		case nil:
			out = append(out, "null")
		}
		if !isKey && len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].key = true
		}
		if len(stack) == 0 {
			return out, nil
		}
	}
}

func chains(diffs []DiffID) []string {
	var out []string
	parent := ""
	for _, d := range diffs {
		if parent == "" {
			parent = string(d)
		} else {
			parent = fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(parent+" "+string(d))))
		}
		out = append(out, strings.TrimPrefix(parent, "sha256:"))
	}
	return out
}

func decodeImage(data []byte) *imageOut {
	img := &Image{}
	err := json.Unmarshal(data, img) // image.NewFromJSON
	out := &imageOut{RootFSNil: img.RootFS == nil, DiffIDs: []string{}, Chains: []string{}}
	if err != nil {
		out.Err = err.Error()
	} else if img.RootFS == nil {
		out.Err = "invalid image JSON, no RootFS key"
	}
	if img.RootFS != nil {
		for _, d := range img.RootFS.DiffIDs {
			out.DiffIDs = append(out.DiffIDs, string(d))
		}
		if c := chains(img.RootFS.DiffIDs); c != nil {
			out.Chains = c
		}
	}
	return out
}

func decodeContainer(data []byte) *containerOut {
	c := &Container{State: &State{}} // newBaseContainer: State: NewState()
	err := json.NewDecoder(bytes.NewReader(data)).Decode(c) // container.FromDisk
	out := &containerOut{Driver: c.Driver, StateNil: c.State == nil}
	if c.State != nil {
		out.Dead = c.State.Dead
	}
	if err != nil {
		out.Err = err.Error()
	}
	return out
}

func decode(name string, data []byte) result {
	r := result{Name: name, Tokens: []string{}}
	if strings.HasPrefix(name, "container-") {
		var raw json.RawMessage
		r.Valid = json.NewDecoder(bytes.NewReader(data)).Decode(&raw) == nil
		r.Container = decodeContainer(data)
	} else {
		r.Valid = json.Valid(data)
		r.Image = decodeImage(data)
	}
	if r.Valid {
		if t, err := tokens(data); err == nil {
			r.Tokens = t
		}
	}
	return r
}

func foldRune(r rune) rune { // the smallest rune of r's simple-fold orbit (encoding/json@go1.21 fold.go)
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: godecode DIR | godecode -folds")
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	if os.Args[1] == "-folds" {
		for r := rune(0x80); r <= unicode.MaxRune; r++ {
			seen := foldRune(r) < 0x80
			for x := unicode.SimpleFold(r); x != r && !seen; x = unicode.SimpleFold(x) {
				seen = x < 0x80
			}
			if seen {
				up := unicode.ToUpper(foldRune(r))
				fmt.Printf("%d %c\n", r, up)
			}
		}
		return
	}
	entries, err := os.ReadDir(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		f, err := os.Open(filepath.Join(os.Args[1], n))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := out.Encode(decode(n, data)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
