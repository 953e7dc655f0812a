package export

import (
	"encoding/binary"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
)

// spool keeps the records of the contacts an apply will upload, between the scan (which must
// finish, and match the plan's fingerprint, before anything is sent) and the upload. Records are
// packed into 1 MiB chunks:
//
//	email hash (8) | content hash (8) | JSON length (uvarint) | record length (uvarint) | record
//
// so the spool costs about the size of the values plus 20 bytes per contact.
type spool struct {
	chunks [][]byte
	n      int
}

const spoolChunk = 1 << 20

func (s *spool) add(e snapshot.Entry, jsonLen int, rec []byte) {
	need := 16 + 2*binary.MaxVarintLen64 + len(rec)
	if len(s.chunks) == 0 || cap(s.chunks[len(s.chunks)-1])-len(s.chunks[len(s.chunks)-1]) < need {
		s.chunks = append(s.chunks, make([]byte, 0, max(spoolChunk, need)))
	}
	c := s.chunks[len(s.chunks)-1]
	c = binary.LittleEndian.AppendUint64(c, e.Email)
	c = binary.LittleEndian.AppendUint64(c, e.Content)
	c = binary.AppendUvarint(c, uint64(jsonLen))
	c = binary.AppendUvarint(c, uint64(len(rec)))
	c = append(c, rec...)
	s.chunks[len(s.chunks)-1] = c
	s.n++
}

// each calls fn for every record in the order added until fn returns false.
func (s *spool) each(fn func(e snapshot.Entry, jsonLen int, rec []byte) bool) {
	s.walk(false, fn)
}

// drain is each, releasing every chunk once walked (the spool is empty afterwards).
func (s *spool) drain(fn func(e snapshot.Entry, jsonLen int, rec []byte) bool) {
	s.walk(true, fn)
	s.chunks = nil
}

func (s *spool) walk(release bool, fn func(e snapshot.Entry, jsonLen int, rec []byte) bool) {
	for ci, c := range s.chunks {
		if release {
			s.chunks[ci] = nil
		}
		p := 0
		for p < len(c) {
			e := snapshot.Entry{Email: binary.LittleEndian.Uint64(c[p:]), Content: binary.LittleEndian.Uint64(c[p+8:])}
			p += 16
			jl, m := binary.Uvarint(c[p:])
			p += m
			rl, m := binary.Uvarint(c[p:])
			p += m
			rec := c[p : p+int(rl)]
			p += int(rl)
			if !fn(e, int(jl), rec) {
				return
			}
		}
	}
}
