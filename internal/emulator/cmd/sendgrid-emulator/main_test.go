package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeSeedPersistAndPrint(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	urlFile := filepath.Join(dir, "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuf
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-key", "SG.demo:marketing.read,marketing.automation.read", "-seed-list", "Newsletter",
			"-state", state, "-url-file", urlFile}, &out, &errOut)
	}()
	var url string
	for i := 0; i < 200 && url == ""; i++ {
		if b, err := os.ReadFile(urlFile); err == nil {
			url = strings.TrimSpace(string(b))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if url == "" {
		t.Fatalf("no URL written; output %q %q", out.String(), errOut.String())
	}
	m := regexp.MustCompile(`list "Newsletter" id=([0-9a-f-]{36})`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "listening on "+url) {
		t.Fatalf("output %q", out.String())
	}
	listID := m[1]
	body := `{"list_ids":["` + listID + `"],"contacts":[{"email":"user000001@example.com"},{"email":"user000002@example.com"}]}`
	req, _ := http.NewRequest("PUT", url+"/v3/marketing/contacts", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer SG.demo")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != 202 {
		t.Fatalf("upsert status %d", res.StatusCode)
	}
	// A scope the key lacks.
	req, _ = http.NewRequest("GET", url+"/v3/user/username", nil)
	req.Header.Set("Authorization", "Bearer SG.demo")
	if res, err = http.DefaultClient.Do(req); err != nil || res.StatusCode != 403 {
		t.Fatalf("username without scope: %v %v", res, err)
	}
	_ = res.Body.Close()
	time.Sleep(100 * time.Millisecond) // let the job's delay pass; shutdown applies it and saves
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v (%s)", err, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	if strings.Contains(out.String(), "SG.demo") {
		t.Error("the API key was printed")
	}

	var printed bytes.Buffer
	if err := run(context.Background(), []string{"-key", "SG.demo", "-state", state, "-print-list", listID}, &printed, &errOut); err != nil {
		t.Fatal(err)
	}
	p := printed.String()
	if !strings.Contains(p, "2 contacts") || !strings.Contains(p, "u***@e***.com") || strings.Contains(p, "user000001@example.com") {
		t.Errorf("masked listing: %q", p)
	}
	printed.Reset()
	if err := run(context.Background(), []string{"-key", "SG.demo", "-state", state, "-print-list", listID, "-unmask"}, &printed, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(printed.String(), "user000002@example.com") {
		t.Errorf("unmasked listing: %q", printed.String())
	}

	// A restart with the same state and -seed-list reuses the list.
	ctx2, cancel2 := context.WithCancel(context.Background())
	var out2 syncBuf
	go func() {
		done <- run(ctx2, []string{"-addr", "127.0.0.1:0", "-key", "SG.demo", "-seed-list", "Newsletter", "-state", state}, &out2, &errOut)
	}()
	for i := 0; i < 200 && !strings.Contains(out2.String(), "listening"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	cancel2()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out2.String(), "id="+listID) {
		t.Errorf("restart did not reuse the list: %q", out2.String())
	}
}

func TestParseKey(t *testing.T) {
	k, v, err := parseKey("SG.x@3:marketing.read, user.account.read")
	if err != nil || k != "SG.x" || v.UserID != 3 || len(v.Scopes) != 2 || v.Scopes[1] != "user.account.read" {
		t.Errorf("parseKey = %q %+v %v", k, v, err)
	}
	if _, _, err := parseKey("SG.x@zero"); err == nil || strings.Contains(err.Error(), "SG.x@zero") {
		t.Errorf("bad account: %v", err)
	}
	if _, v, _ := parseKey("SG.y"); len(v.Scopes) == 0 || v.UserID != 1 {
		t.Errorf("defaults: %+v", v)
	}
}

// TestErrorsFileFlag: an unknown errors-file format is refused before the emulator listens,
// naming the formats it serves.
func TestErrorsFileFlag(t *testing.T) {
	var out, errOut syncBuf
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-errors-file", "xml"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "csv-email, csv-rows or json") {
		t.Fatalf("err = %v", err)
	}
}
