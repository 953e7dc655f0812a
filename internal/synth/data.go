package synth

// name is a display name and the ASCII slug used in email addresses.
type name struct{ name, slug string }

var firstNames = []name{
	{"Ada", "ada"}, {"Alan", "alan"}, {"Grace", "grace"}, {"Linus", "linus"}, {"Margaret", "margaret"},
	{"Dennis", "dennis"}, {"Barbara", "barbara"}, {"Ken", "ken"}, {"Radia", "radia"}, {"Edsger", "edsger"},
	{"Frances", "frances"}, {"Donald", "donald"}, {"Katherine", "katherine"}, {"Tim", "tim"}, {"Hedy", "hedy"},
	{"Claude", "claude"}, {"Annie", "annie"}, {"John", "john"}, {"Mary", "mary"}, {"Guido", "guido"},
	{"Zoë", "zoe"}, {"José", "jose"}, {"Łukasz", "lukasz"}, {"Søren", "soren"}, {"Chloé", "chloe"},
	{"Yuki", "yuki"}, {"Aiko", "aiko"}, {"Priya", "priya"}, {"Arjun", "arjun"}, {"Fatima", "fatima"},
	{"Omar", "omar"}, {"Ingrid", "ingrid"}, {"Mateo", "mateo"}, {"Lucía", "lucia"}, {"Wei", "wei"},
	{"Mei", "mei"}, {"Kwame", "kwame"}, {"Amara", "amara"}, {"Noah", "noah"}, {"Emma", "emma"},
}

var lastNames = []name{
	{"Lovelace", "lovelace"}, {"Turing", "turing"}, {"Hopper", "hopper"}, {"Torvalds", "torvalds"},
	{"Hamilton", "hamilton"}, {"Ritchie", "ritchie"}, {"Liskov", "liskov"}, {"Thompson", "thompson"},
	{"Perlman", "perlman"}, {"Dijkstra", "dijkstra"}, {"Allen", "allen"}, {"Knuth", "knuth"},
	{"Johnson", "johnson"}, {"Berners-Lee", "berners-lee"}, {"Lamarr", "lamarr"}, {"Shannon", "shannon"},
	{"Easley", "easley"}, {"Backus", "backus"}, {"Keller", "keller"}, {"van Rossum", "vanrossum"},
	{"O'Brien", "obrien"}, {"Núñez", "nunez"}, {"Müller", "muller"}, {"Kowalski", "kowalski"},
	{"Dubois", "dubois"}, {"Tanaka", "tanaka"}, {"Sato", "sato"}, {"Sharma", "sharma"}, {"Patel", "patel"},
	{"Haddad", "haddad"}, {"Andersen", "andersen"}, {"García", "garcia"}, {"Rossi", "rossi"},
	{"Chen", "chen"}, {"Wang", "wang"}, {"Mensah", "mensah"}, {"Okafor", "okafor"}, {"Smith", "smith"},
	{"Jensen", "jensen"}, {"Silva", "silva"},
}

var domains = []string{"example.com", "example.org", "example.net"}

// place is a city with its region, country and the shape of its postal codes
// ('#' a digit, '@' a capital letter).
type place struct {
	country, state, city, postal string
	weight                       int
}

var places = []place{
	{"United States", "California", "San Francisco", "941##", 9},
	{"United States", "New York", "New York", "100##", 9},
	{"United States", "Texas", "Austin", "787##", 6},
	{"United States", "Washington", "Seattle", "981##", 5},
	{"United States", "Massachusetts", "Boston", "021##", 5},
	{"United States", "District of Columbia", "Washington, D.C.", "200##", 3},
	{"Canada", "Ontario", "Toronto", "M5@ #@#", 4},
	{"Canada", "Quebec", "Montréal", "H2@ #@#", 3},
	{"United Kingdom", "England", "London", "SW1@ #@@", 6},
	{"Ireland", "Leinster", "Dublin", "D0# @#@#", 2},
	{"Germany", "Berlin", "Berlin", "10###", 5},
	{"Germany", "Bavaria", "München", "80###", 3},
	{"France", "Île-de-France", "Paris", "750##", 5},
	{"Spain", "Community of Madrid", "Madrid", "280##", 3},
	{"Netherlands", "North Holland", "Amsterdam", "10## @@", 3},
	{"Japan", "Tokyo", "Tokyo", "1##-####", 4},
	{"Australia", "New South Wales", "Sydney", "2###", 3},
	{"Brazil", "São Paulo", "São Paulo", "0####-###", 3},
	{"Mexico", "Ciudad de México", "Mexico City", "06###", 2},
	{"India", "Karnataka", "Bengaluru", "560###", 3},
}

var plans = []string{"free", "starter", "pro", "enterprise"}

var (
	placeWeights, planWeights = weightsOf(places), []int{45, 30, 20, 5}
	placeTotal, planTotal     = sum(placeWeights), sum(planWeights)
)

func weightsOf(ps []place) []int {
	w := make([]int, len(ps))
	for i, p := range ps {
		w[i] = p.weight
	}
	return w
}

func sum(w []int) int {
	t := 0
	for _, x := range w {
		t += x
	}
	return t
}

// mix is SplitMix64's finaliser: a bijective, well-mixing function of 64 bits.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// rng is SplitMix64: small, fast and good enough for synthetic data.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func (r *rng) weighted(w []int, total int) int {
	x := r.intn(total)
	for i, wi := range w {
		if x < wi {
			return i
		}
		x -= wi
	}
	return len(w) - 1
}

// permutation is a seeded bijection of [0,n): a balanced Feistel network over the smallest
// even number of bits that covers n, with cycle walking for values outside [0,n).
type permutation struct {
	n    uint64
	half uint   // bits per half
	mask uint64 // (1<<half)-1
	keys [4]uint64
}

func newPermutation(n, seed uint64) *permutation {
	p := &permutation{n: n}
	bits := uint(2)
	for bits < 64 && (uint64(1)<<bits) < n {
		bits += 2
	}
	p.half = bits / 2
	p.mask = (uint64(1) << p.half) - 1
	for i := range p.keys {
		p.keys[i] = mix(seed + uint64(i)*0x632be59bd9b4e019)
	}
	return p
}

func (p *permutation) round(x uint64, k uint64) uint64 { return mix(x^k) & p.mask }

func (p *permutation) encrypt(x uint64) uint64 {
	l, r := x>>p.half, x&p.mask
	for _, k := range p.keys {
		l, r = r, l^p.round(r, k)
	}
	return l<<p.half | r
}

func (p *permutation) decrypt(x uint64) uint64 {
	l, r := x>>p.half, x&p.mask
	for i := len(p.keys) - 1; i >= 0; i-- {
		l, r = r^p.round(l, p.keys[i]), l
	}
	return l<<p.half | r
}

func (p *permutation) forward(x uint64) uint64 {
	for {
		x = p.encrypt(x)
		if x < p.n {
			return x
		}
	}
}

func (p *permutation) inverse(x uint64) uint64 {
	for {
		x = p.decrypt(x)
		if x < p.n {
			return x
		}
	}
}
