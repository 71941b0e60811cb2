// Package blocks serves the virtual disk of an image format made of fixed-size blocks that
// are decompressed on demand (VMDK grains, qcow2 clusters): ReadAt over the blocks, and a
// least-recently-used cache of them, since a filesystem reader comes back to the same
// metadata blocks again and again.
package blocks

import "container/list"

// Cache keeps the most recently used blocks, up to a fixed count. It is not safe for
// concurrent use.
type Cache struct {
	limit int
	order *list.List // front: most recent; values are *entry
	byKey map[int64]*list.Element
}

type entry struct {
	key  int64
	data []byte
}

// New returns a cache of at most limit blocks (at least one).
func New(limit int) *Cache {
	return &Cache{limit: max(limit, 1), order: list.New(), byKey: map[int64]*list.Element{}}
}

// Get returns the block stored under key, if it is still cached.
func (c *Cache) Get(key int64) ([]byte, bool) {
	e, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*entry).data, true
}

// Put stores a block, evicting the least recently used one when full.
func (c *Cache) Put(key int64, data []byte) {
	if e, ok := c.byKey[key]; ok {
		e.Value.(*entry).data = data
		c.order.MoveToFront(e)
		return
	}
	c.byKey[key] = c.order.PushFront(&entry{key: key, data: data})
	for c.order.Len() > c.limit {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*entry).key)
	}
}
