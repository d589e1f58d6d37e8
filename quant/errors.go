package quant

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Error is Quantize's answer when a model uses something the target cannot represent:
// every problem found, each naming the neurons or synapses concerned, the target's
// limit, and the nearest value the target can represent.
type Error struct {
	Target   string
	Problems []string
}

func (e *Error) Error() string {
	return listError(fmt.Sprintf("quant: the model does not fit target %s", e.Target), e.Problems)
}

// maxListed bounds the problems an error message spells out.
const maxListed = 40

func listError(head string, ps []string) string {
	var b strings.Builder
	b.WriteString(head)
	fmt.Fprintf(&b, " (%d problem", len(ps))
	if len(ps) != 1 {
		b.WriteString("s")
	}
	b.WriteString(")")
	for i, p := range ps {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  ... and %d more", len(ps)-maxListed)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	return b.String()
}

type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// maxRuns bounds the runs runs() spells out.
const maxRuns = 12

// runs formats a set of indices as sorted, compressed runs: "3, 7-9, 120-219". After
// maxRuns runs it says how many indices are left.
func runs(ids []int) string {
	s := append([]int(nil), ids...)
	sort.Ints(s)
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] <= s[j]+1 {
			j++
		}
		if n == maxRuns {
			rest := 0
			for k := i; k < len(s); k++ {
				if k == i || s[k] != s[k-1] {
					rest++
				}
			}
			fmt.Fprintf(&b, " and %d more", rest)
			break
		}
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(s[i]))
		if s[j] != s[i] {
			b.WriteString("-")
			b.WriteString(strconv.Itoa(s[j]))
		}
		n++
		i = j + 1
	}
	return b.String()
}

// plural returns "neuron 3" or "neurons 3-9" for a set of indices.
func plural(word string, ids []int) string {
	if len(ids) == 1 {
		return word + " " + runs(ids)
	}
	return word + "s " + runs(ids)
}

// unique returns the distinct values of ids.
func unique(ids []int) []int {
	seen := make(map[int]bool, len(ids))
	var out []int
	for _, i := range ids {
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}

func sortInts(s []int) { sort.Ints(s) }

// rangeOf formats the range of values as "5" or "5..9" (with %g for floats).
func rangeOf[T int | float64](vs []T) string {
	lo, hi := vs[0], vs[0]
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo == hi {
		return fmt.Sprint(fmtNum(lo))
	}
	return fmt.Sprintf("%v..%v", fmtNum(lo), fmtNum(hi))
}

func fmtNum[T int | float64](v T) string {
	switch x := any(v).(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', 6, 64)
	default:
		return fmt.Sprint(x)
	}
}
