package radix

import (
	"math/rand/v2"
	"slices"
	"testing"
)

type item struct {
	k   uint64
	pos int
}

func TestSortIsSortedAndStable(t *testing.T) {
	for _, bits := range []uint{16, 32, 48, 64} {
		r := rand.New(rand.NewPCG(1, uint64(bits)))
		a := make([]item, 5000)
		for i := range a {
			a[i] = item{k: r.Uint64() % 300, pos: i} // many equal keys
			if bits == 64 && i%2 == 0 {
				a[i].k |= r.Uint64() << 16
			}
		}
		want := slices.Clone(a)
		mask := uint64(1)<<bits - 1
		if bits == 64 {
			mask = ^uint64(0)
		}
		slices.SortStableFunc(want, func(x, y item) int {
			switch kx, ky := x.k&mask, y.k&mask; {
			case kx < ky:
				return -1
			case kx > ky:
				return 1
			}
			return 0
		})
		Sort(a, bits, func(it *item) uint64 { return it.k })
		if !slices.Equal(a, want) {
			t.Fatalf("bits=%d: radix.Sort differs from a stable sort", bits)
		}
	}
}

func TestSortShort(t *testing.T) {
	var empty []item
	Sort(empty, 64, func(it *item) uint64 { return it.k })
	one := []item{{k: 5}}
	Sort(one, 64, func(it *item) uint64 { return it.k })
	if one[0].k != 5 {
		t.Fatal("a one-element slice must be left alone")
	}
}
