package targets

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
)

//go:embed data/*.json
var presetFS embed.FS

const (
	// maxFileSize bounds a target file; a larger file is rejected before it is read.
	maxFileSize = 1 << 20
	// maxInheritDepth bounds an inherits chain (root included).
	maxInheritDepth = 16
	// maxProblems bounds the problems one error spells out.
	maxProblems = 50
)

// Error is a problem with a target file: every problem found, each naming the field
// path ("core.synapse_memory.words = 0: must be positive").
type Error struct {
	File     string   // the file or preset concerned, as the user named it
	Problems []string // one problem per entry, without the "targets: FILE: " prefix
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i == maxProblems {
			fmt.Fprintf(&b, "\ntargets: %s: ... and %d more problems", e.File, len(e.Problems)-maxProblems)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "targets: %s: %s", e.File, p)
	}
	return b.String()
}

func newError(file, format string, args ...any) *Error {
	return &Error{File: file, Problems: []string{fmt.Sprintf(format, args...)}}
}

// Names returns the names of the built-in presets, sorted.
func Names() []string {
	entries, err := presetFS.ReadDir("data")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// PresetJSON returns the file of a built-in preset as written, before inherits is
// resolved.
func PresetJSON(name string) ([]byte, error) {
	if !validName(name) {
		return nil, noPreset(name)
	}
	b, err := presetFS.ReadFile("data/" + name + ".json")
	if err != nil {
		return nil, noPreset(name)
	}
	return b, nil
}

func noPreset(name string) error {
	return fmt.Errorf("targets: no preset %q (presets: %s)", name, strings.Join(Names(), ", "))
}

// Lookup returns the built-in preset of that name, resolved and validated.
func Lookup(name string) (*Target, error) {
	if _, err := PresetJSON(name); err != nil {
		return nil, err
	}
	l := &loader{}
	return l.load(unit{preset: true, name: name}, name)
}

// Load returns the target named by nameOrPath: a path to a .json file when it ends in
// ".json" or contains a path separator, else the name of a built-in preset. A file's
// "inherits" names a preset, or, when it ends in ".json" or contains a slash, a file
// relative to the directory of the file that inherits it.
func Load(nameOrPath string) (*Target, error) {
	if !isFileRef(nameOrPath) {
		return Lookup(nameOrPath)
	}
	l := &loader{files: osFiles{}}
	return l.load(unit{path: nameOrPath}, nameOrPath)
}

// LoadFS is Load for a file in fsys (p is a slash-separated path valid for fsys);
// files it inherits are read from fsys too.
func LoadFS(fsys fs.FS, p string) (*Target, error) {
	l := &loader{files: fsFiles{fsys}}
	return l.load(unit{path: p}, p)
}

// Parse reads a target from data as if read from a file named filename, whose base
// name (without ".json") becomes the target's name. Its "inherits" may name presets
// only.
func Parse(filename string, data []byte) (*Target, error) {
	l := &loader{files: memFile{name: filename, data: bytes.Clone(data)}}
	return l.load(unit{path: filename}, filename)
}

// isFileRef reports whether s names a file rather than a preset.
func isFileRef(s string) bool {
	return strings.HasSuffix(s, ".json") || strings.ContainsAny(s, `/\`)
}

// validName reports whether s may name a target: 1 to 64 characters from
// [A-Za-z0-9._+-], not starting with a dot.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '.' {
		return false
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case r == '.' || r == '_' || r == '+' || r == '-':
		default:
			return false
		}
	}
	return true
}

// files reads target files other than presets.
type files interface {
	read(p string) ([]byte, error)
	// join resolves rel, named in file from, to a path for read.
	join(from, rel string) string
	// key identifies a file for cycle detection.
	key(p string) string
	// base is the file name of p.
	base(p string) string
}

type osFiles struct{}

func (osFiles) read(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f)
}

func (osFiles) join(from, rel string) string {
	rel = filepath.FromSlash(rel)
	if filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(filepath.Dir(from), rel)
}

func (osFiles) key(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

func (osFiles) base(p string) string { return filepath.Base(p) }

type fsFiles struct{ fsys fs.FS }

func (f fsFiles) read(p string) ([]byte, error) {
	file, err := f.fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return readLimited(file)
}

func (fsFiles) join(from, rel string) string { return path.Join(path.Dir(from), rel) }
func (fsFiles) key(p string) string          { return path.Clean(p) }
func (fsFiles) base(p string) string         { return path.Base(p) }

// memFile is the one file given to Parse.
type memFile struct {
	name string
	data []byte
}

func (m memFile) read(p string) ([]byte, error) {
	if p != m.name {
		return nil, errors.New("Parse reads one file: use Load or LoadFS to inherit from files")
	}
	if len(m.data) > maxFileSize {
		return nil, fmt.Errorf("file is %d bytes, more than the %d a target file may have", len(m.data), maxFileSize)
	}
	return m.data, nil
}

func (memFile) join(from, rel string) string { return rel }
func (memFile) key(p string) string          { return p }
func (memFile) base(p string) string         { return path.Base(filepath.ToSlash(p)) }

func readLimited(f fs.File) ([]byte, error) {
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, errors.New("is a directory")
		}
		if st.Size() > maxFileSize {
			return nil, fmt.Errorf("file is %d bytes, more than the %d a target file may have", st.Size(), maxFileSize)
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("file is more than the %d bytes a target file may have", maxFileSize)
	}
	return b, nil
}

// unit is one file of an inherits chain.
type unit struct {
	preset bool
	name   string // preset name
	path   string // file path
}

func (u unit) display() string {
	if u.preset {
		return "preset " + u.name
	}
	return u.path
}

type loader struct {
	files files // nil: presets only
}

func (l *loader) key(u unit) string {
	if u.preset {
		return "preset:" + u.name
	}
	return "file:" + l.files.key(u.path)
}

// load resolves u, decodes and validates the result; origin is what the caller asked
// for, kept for Origin.
func (l *loader) load(u unit, origin string) (*Target, error) {
	file := u.display()
	name := u.name
	if !u.preset {
		name = strings.TrimSuffix(l.files.base(u.path), ".json")
		if !validName(name) {
			return nil, newError(file, "the file's base name %q names the target: use 1 to 64 characters from A-Z a-z 0-9 . _ + - (not starting with a dot)", name)
		}
	}
	data, err := l.read(u)
	if err != nil {
		return nil, newError(file, "%v", err)
	}
	merged, chain, err := l.resolve(u, data, nil, map[string]bool{})
	if err != nil {
		return nil, err
	}
	// Every file of the chain stated the version (resolve checks it).
	merged["version"] = json.Number(fmt.Sprint(SchemaVersion))
	var p problems
	checkPresent(merged, targetType, "", &p)
	if len(p) > 0 {
		return nil, &Error{File: file, Problems: p}
	}
	merged["name"] = name
	t := new(Target)
	if err := assign(merged, reflect.ValueOf(t).Elem()); err != nil {
		return nil, newError(file, "%v", err)
	}
	if p := t.check(); len(p) > 0 {
		return nil, &Error{File: file, Problems: p}
	}
	t.origin = origin
	t.chain = chain
	t.reload = func() (*Target, error) { return l.load(u, origin) }
	return t, nil
}

// read returns the bytes of u.
func (l *loader) read(u unit) ([]byte, error) {
	if u.preset {
		return PresetJSON(u.name)
	}
	b, err := l.files.read(u.path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	return b, nil
}

// resolve decodes data, the contents of u, with the files it inherits, and returns
// the merged object and the chain of files, root first. stack holds the files that
// inherit u, nearest last; onStack holds their keys.
func (l *loader) resolve(u unit, data []byte, stack []string, onStack map[string]bool) (map[string]any, []string, error) {
	file := u.display()
	obj, err := decodeObject(file, data)
	if err != nil {
		return nil, nil, err
	}
	var p problems
	parent, hasParent := "", false
	if v, ok := obj["inherits"]; ok {
		delete(obj, "inherits")
		s, ok := v.(string)
		switch {
		case !ok:
			p.add("inherits: must be a string naming a preset or a .json file, not %s", jsonType(v))
		case s == "":
			p.add("inherits: must not be empty")
		default:
			parent, hasParent = s, true
		}
	}
	if v, ok := obj["version"]; !ok {
		p.add("version: missing: every target file states \"version\": %d", SchemaVersion)
	} else if n, ok := v.(json.Number); !ok || n.String() != fmt.Sprint(SchemaVersion) {
		p.add("version = %s: this reader knows version %d only", jsonValue(v), SchemaVersion)
	}
	delete(obj, "version")
	checkShape(obj, targetType, "", &p)
	if len(p) > 0 {
		return nil, nil, &Error{File: file, Problems: p}
	}
	if !hasParent {
		return mergePatch(map[string]any{}, obj), []string{file}, nil
	}

	key := l.key(u)
	stack = append(stack, file)
	onStack[key] = true
	defer delete(onStack, key)
	if len(stack) >= maxInheritDepth {
		return nil, nil, newError(file, "inherits: chain longer than %d files: %s", maxInheritDepth, strings.Join(stack, " -> "))
	}
	var pu unit
	if isFileRef(parent) {
		if u.preset {
			return nil, nil, newError(file, "inherits = %q: a preset may inherit presets only", parent)
		}
		if _, ok := l.files.(memFile); ok {
			return nil, nil, newError(file, "inherits = %q names a file, but this spec was not read from a file system (use Load or LoadFS)", parent)
		}
		pu = unit{path: l.files.join(u.path, parent)}
	} else {
		if _, err := PresetJSON(parent); err != nil {
			return nil, nil, newError(file, "inherits = %q: no such preset (presets: %s)", parent, strings.Join(Names(), ", "))
		}
		pu = unit{preset: true, name: parent}
	}
	if onStack[l.key(pu)] {
		return nil, nil, newError(file, "inherits = %q: cycle: %s -> %s", parent, strings.Join(stack, " -> "), pu.display())
	}
	pdata, err := l.read(pu)
	if err != nil {
		return nil, nil, newError(file, "inherits = %q: %s: %v", parent, pu.display(), err)
	}
	base, chain, err := l.resolve(pu, pdata, stack, onStack)
	if err != nil {
		return nil, nil, err
	}
	return mergePatch(base, obj), append(chain, file), nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// decodeObject parses data as one JSON object, numbers kept as json.Number.
func decodeObject(file string, data []byte) (map[string]any, error) {
	if len(data) > maxFileSize {
		return nil, newError(file, "file is %d bytes, more than the %d a target file may have", len(data), maxFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, newError(file, "%s", syntaxMessage(data, err))
	}
	rest := dec.InputOffset()
	if tail := bytes.TrimLeft(data[rest:], " \t\r\n"); len(tail) > 0 {
		line, col := lineCol(data, int64(len(data)-len(tail)))
		return nil, newError(file, "line %d, column %d: data after the top-level object", line, col)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, newError(file, "must hold one JSON object, not %s", jsonType(v))
	}
	return obj, nil
}

func syntaxMessage(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read, the offending one included.
		line, col := lineCol(data, se.Offset-1)
		return fmt.Sprintf("line %d, column %d: %v", line, col, se)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of file: the JSON object is not complete"
	}
	return err.Error()
}

// lineCol converts a byte offset to a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// mergePatch applies patch to target as JSON Merge Patch (RFC 7386) does: objects
// merge key by key, null deletes a key, anything else replaces. It returns target.
func mergePatch(target, patch map[string]any) map[string]any {
	for k, pv := range patch {
		switch pv := pv.(type) {
		case nil:
			delete(target, k)
		case map[string]any:
			tm, ok := target[k].(map[string]any)
			if !ok {
				tm = map[string]any{}
			}
			target[k] = mergePatch(tm, pv)
		default:
			target[k] = pv
		}
	}
	return target
}
