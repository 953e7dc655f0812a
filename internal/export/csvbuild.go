package export

import (
	"bytes"
	"compress/gzip"
	"sync"
)

// csvBuilder writes the gzip-compressed CSV files of a CSV import on its own goroutine while
// the scan is still reading, so that compression overlaps reading and the files are ready when
// the upload may start. Each file holds at most maxRows contacts (after a header row), in the
// order they were added. When the upload turns out to use JSON upserts the files are dropped.
type csvBuilder struct {
	header  []byte
	maxRows int

	chunk []byte
	rows  int // rows in the current file so far
	sent  int // of which already handed to the compressor
	ch    chan csvChunk
	free  chan []byte
	done  chan struct{}
	once  sync.Once

	bodies [][]byte
	counts []int
	err    error
}

type csvChunk struct {
	data    []byte
	rows    int
	endFile bool
}

const csvChunkSize = 256 << 10

func newCSVBuilder(header []byte, maxRows int) *csvBuilder {
	b := &csvBuilder{header: header, maxRows: maxRows, ch: make(chan csvChunk, 4), free: make(chan []byte, 6),
		done: make(chan struct{})}
	b.chunk = make([]byte, 0, csvChunkSize+4096)
	go b.compress()
	return b
}

func (b *csvBuilder) compress() {
	defer close(b.done)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	rows := 0
	for c := range b.ch {
		if b.err == nil {
			if _, err := zw.Write(c.data); err != nil {
				b.err = err
			}
		}
		rows += c.rows
		select {
		case b.free <- c.data[:0]:
		default:
		}
		if c.endFile && b.err == nil {
			if err := zw.Close(); err != nil {
				b.err = err
			}
			b.bodies = append(b.bodies, bytes.Clone(buf.Bytes()))
			b.counts = append(b.counts, rows)
			rows = 0
			buf.Reset()
			zw.Reset(&buf)
		}
	}
}

func (b *csvBuilder) pending() int { return b.rows - b.sent }

func (b *csvBuilder) send(endFile bool) {
	b.ch <- csvChunk{data: b.chunk, rows: b.pending(), endFile: endFile}
	select {
	case c := <-b.free:
		b.chunk = c
	default:
		b.chunk = make([]byte, 0, csvChunkSize+4096)
	}
	b.sent = b.rows
	if endFile {
		b.rows, b.sent = 0, 0
	}
}

// add appends one CSV line (with its line end).
func (b *csvBuilder) add(line []byte) {
	if b.rows == 0 {
		b.chunk = append(b.chunk, b.header...)
	}
	b.chunk = append(b.chunk, line...)
	b.rows++
	switch {
	case b.rows == b.maxRows:
		b.send(true)
	case len(b.chunk) >= csvChunkSize:
		b.send(false)
	}
}

// finish completes the last file and returns the files with their row counts.
func (b *csvBuilder) finish() ([][]byte, []int, error) {
	b.once.Do(func() {
		if b.rows > 0 {
			b.send(true)
		}
		close(b.ch)
	})
	<-b.done
	return b.bodies, b.counts, b.err
}

// abort stops the compressor and drops the files.
func (b *csvBuilder) abort() {
	if b == nil {
		return
	}
	b.once.Do(func() { close(b.ch) })
	<-b.done
	b.bodies = nil
}
