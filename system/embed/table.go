package embed

// featureTable sums the weights of a text's feature occurrences by feature
// hash: an open-addressing hash table with linear probing that is reused
// from text to text, remembering which slots it used so clearing costs only
// what was filled.
type featureTable struct {
	keys []uint64 // 0 marks an empty slot; hash 0 is stored as 1
	vals []float64
	used []int32 // occupied slots, in insertion order
}

const minTableSize = 1024

// add adds w to the weight of feature h.
func (t *featureTable) add(h uint64, w float64) {
	if h == 0 {
		h = 1
	}
	if 2*(len(t.used)+1) > len(t.keys) {
		t.grow()
	}
	mask := uint64(len(t.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			t.vals[i] += w
			return
		case 0:
			t.keys[i] = h
			t.vals[i] = w
			t.used = append(t.used, int32(i))
			return
		}
	}
}

// grow doubles the table (or makes the first one) and re-inserts what it
// holds, keeping the insertion order of used.
func (t *featureTable) grow() {
	size := 2 * len(t.keys)
	if size < minTableSize {
		size = minTableSize
	}
	oldKeys, oldVals, oldUsed := t.keys, t.vals, t.used
	t.keys = make([]uint64, size)
	t.vals = make([]float64, size)
	t.used = make([]int32, 0, size/2)
	mask := uint64(size - 1)
	for _, slot := range oldUsed {
		h := oldKeys[slot]
		i := h & mask
		for t.keys[i] != 0 {
			i = (i + 1) & mask
		}
		t.keys[i] = h
		t.vals[i] = oldVals[slot]
		t.used = append(t.used, int32(i))
	}
}

// reset empties the table, keeping its memory.
func (t *featureTable) reset() {
	for _, slot := range t.used {
		t.keys[slot] = 0
	}
	t.used = t.used[:0]
}
