// Package radix sorts large slices by an unsigned integer key in linear time: a stable
// least-significant-digit radix sort, 16 bits a pass, used for the millions of hashes and row
// references an export sorts.
package radix

// Sort sorts a by key, stably (elements with equal keys keep their order). Only the low bits
// of the key are compared; bits must be a multiple of 16 (16, 32, 48 or 64).
func Sort[T any](a []T, bits uint, key func(*T) uint64) {
	if len(a) < 2 {
		return
	}
	tmp := make([]T, len(a))
	src, dst := a, tmp
	var count [1 << 16]int
	for shift := uint(0); shift < bits; shift += 16 {
		clear(count[:])
		for i := range src {
			count[(key(&src[i])>>shift)&0xffff]++
		}
		sum := 0
		for k, c := range count {
			count[k] = sum
			sum += c
		}
		for i := range src {
			d := (key(&src[i]) >> shift) & 0xffff
			dst[count[d]] = src[i]
			count[d]++
		}
		src, dst = dst, src
	}
	if (bits/16)%2 == 1 {
		copy(a, src) // an odd number of passes left the result in tmp
	}
}
