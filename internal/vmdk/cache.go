package vmdk

import "container/list"

// grainCache keeps the most recently used inflated grains, up to limit of them: a file
// system reader comes back to the same metadata grains again and again.
type grainCache struct {
	limit int
	order *list.List // front: most recent; values are *cached
	byIdx map[int64]*list.Element
}

type cached struct {
	idx  int64
	data []byte
}

func newGrainCache(limit int) *grainCache {
	return &grainCache{limit: max(limit, 1), order: list.New(), byIdx: map[int64]*list.Element{}}
}

func (c *grainCache) get(idx int64) ([]byte, bool) {
	e, ok := c.byIdx[idx]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached).data, true
}

func (c *grainCache) put(idx int64, data []byte) {
	c.byIdx[idx] = c.order.PushFront(&cached{idx: idx, data: data})
	for c.order.Len() > c.limit {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byIdx, last.Value.(*cached).idx)
	}
}
