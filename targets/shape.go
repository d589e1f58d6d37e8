package targets

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The shape of a target file is the shape of Target: its JSON field names, nesting and
// value types. checkShape checks one file against it before merging (so that typos
// and wrong types are reported with the file that has them); checkPresent checks the
// merged result for fields no file gave.

var targetType = reflect.TypeFor[Target]()

type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// jsonField is one field of a struct as a target file names it.
type jsonField struct {
	name     string
	index    int // in the struct
	typ      reflect.Type
	optional bool // may be absent (see the `targets:"optional"` tag)
	computed bool // set by the loader; a file may not give it
}

// fieldCache maps a struct type of the schema to its fields.
var fieldCache sync.Map // reflect.Type -> []jsonField

func fieldsOf(t reflect.Type) []jsonField {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]jsonField)
	}
	fs := computeFields(t)
	fieldCache.Store(t, fs)
	return fs
}

func computeFields(t reflect.Type) []jsonField {
	var fs []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		tag := f.Tag.Get("targets")
		fs = append(fs, jsonField{name: name, index: i, typ: f.Type, optional: tag == "optional", computed: tag == "computed"})
	}
	return fs
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// checkShape reports keys of obj that t does not have and values of the wrong JSON
// type, with their paths. A null value is allowed anywhere: it deletes the key when
// merged (RFC 7386).
func checkShape(obj map[string]any, t reflect.Type, path string, p *problems) {
	byName := map[string]jsonField{}
	for _, f := range fieldsOf(t) {
		byName[f.name] = f
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := obj[k]
		fp := join(path, k)
		f, ok := byName[k]
		switch {
		case !ok:
			p.add("%s: unknown field%s", fp, suggest(k, byName))
			continue
		case f.computed:
			p.add("%s: not allowed in a target file: a target's name is its file's base name", fp)
			continue
		case v == nil:
			continue
		}
		switch f.typ.Kind() {
		case reflect.Struct:
			m, ok := v.(map[string]any)
			if !ok {
				p.add("%s: must be an object, not %s", fp, jsonType(v))
				continue
			}
			checkShape(m, f.typ, fp, p)
		case reflect.String:
			if _, ok := v.(string); !ok {
				p.add("%s: must be a string, not %s", fp, jsonType(v))
			}
		case reflect.Bool:
			if _, ok := v.(bool); !ok {
				p.add("%s: must be true or false, not %s", fp, jsonType(v))
			}
		case reflect.Int, reflect.Int64:
			n, ok := v.(json.Number)
			if !ok {
				p.add("%s: must be an integer, not %s", fp, jsonType(v))
				continue
			}
			i, err := strconv.ParseInt(n.String(), 10, 64)
			switch {
			case err == nil && (f.typ.Kind() == reflect.Int64 || int64(int(i)) == i):
			case err != nil && !isIntRangeErr(err) && !isFloatRangeErr(n.String()):
				p.add("%s = %s: must be an integer", fp, n)
			default:
				p.add("%s = %s: out of range", fp, n)
			}
		case reflect.Float64:
			n, ok := v.(json.Number)
			if !ok {
				p.add("%s: must be a number, not %s", fp, jsonType(v))
				continue
			}
			if x, err := strconv.ParseFloat(n.String(), 64); err != nil || math.IsInf(x, 0) {
				p.add("%s = %s: out of range", fp, n)
			}
		default:
			p.add("%s: unsupported field type %s", fp, f.typ)
		}
	}
}

// isFloatRangeErr reports whether s is a number too large for a float64.
func isFloatRangeErr(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return isIntRangeErr(err)
}

func isIntRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// checkPresent reports every field of t that obj lacks, except optional ones.
func checkPresent(obj map[string]any, t reflect.Type, path string, p *problems) {
	for _, f := range fieldsOf(t) {
		if f.computed {
			continue
		}
		fp := join(path, f.name)
		v, ok := obj[f.name]
		if !ok {
			if !f.optional {
				p.add("%s: missing (give it, or inherit a target that has it)", fp)
			}
			continue
		}
		if f.typ.Kind() == reflect.Struct {
			if m, ok := v.(map[string]any); ok {
				checkPresent(m, f.typ, fp, p)
			}
		}
	}
}

// suggest returns ` (did you mean "x"?)` when a known field is within two edits of k.
func suggest(k string, known map[string]jsonField) string {
	best, bestD := "", 3
	for name := range known {
		d := editDistance(k, name)
		if d < bestD || (d == bestD && best != "" && name < best) {
			best, bestD = name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b; inputs longer than 64 bytes
// are not compared (the distance is then reported as 64).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}

// jsonValue renders a decoded JSON value briefly, for messages.
func jsonValue(v any) string {
	switch v := v.(type) {
	case json.Number:
		return v.String()
	case string:
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return jsonType(v)
}

// assign stores obj, a merged object that passed checkShape and checkPresent, into v,
// a struct of the schema. Computed fields are filled from obj as well.
func assign(obj map[string]any, v reflect.Value) error {
	for _, f := range fieldsOf(v.Type()) {
		x, ok := obj[f.name]
		if !ok || x == nil {
			continue
		}
		fv := v.Field(f.index)
		switch f.typ.Kind() {
		case reflect.Struct:
			m, ok := x.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: must be an object", f.name)
			}
			if err := assign(m, fv); err != nil {
				return fmt.Errorf("%s.%w", f.name, err)
			}
		case reflect.String:
			s, ok := x.(string)
			if !ok {
				return fmt.Errorf("%s: must be a string", f.name)
			}
			fv.SetString(s)
		case reflect.Bool:
			b, ok := x.(bool)
			if !ok {
				return fmt.Errorf("%s: must be true or false", f.name)
			}
			fv.SetBool(b)
		case reflect.Int, reflect.Int64:
			n, _ := x.(json.Number)
			i, err := strconv.ParseInt(n.String(), 10, 64)
			if err != nil || fv.OverflowInt(i) {
				return fmt.Errorf("%s: must be an integer", f.name)
			}
			fv.SetInt(i)
		case reflect.Float64:
			n, _ := x.(json.Number)
			x, err := strconv.ParseFloat(n.String(), 64)
			if err != nil {
				return fmt.Errorf("%s: must be a number", f.name)
			}
			fv.SetFloat(x)
		default:
			return fmt.Errorf("%s: unsupported field type %s", f.name, f.typ)
		}
	}
	return nil
}
