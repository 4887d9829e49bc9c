package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/kubelet/pkg/cri/streaming/portforward"
)

// rule: a port-forward to port Port of a pod whose name starts with Prefix connects to Target.
type rule struct {
	Prefix string
	Port   int32
	Target string
}

type rules []rule

func (r *rules) String() string { return fmt.Sprint(*r) }

// Set parses POD_NAME_PREFIX:PORT=HOST:PORT.
func (r *rules) Set(s string) error {
	left, target, ok := strings.Cut(s, "=")
	i := strings.LastIndex(left, ":")
	if !ok || i < 0 {
		return fmt.Errorf("%q: want POD_NAME_PREFIX:PORT=HOST:PORT", s)
	}
	port, err := strconv.ParseUint(left[i+1:], 10, 16)
	if err != nil || port == 0 {
		return fmt.Errorf("%q: bad pod port %q", s, left[i+1:])
	}
	if _, _, err := net.SplitHostPort(target); err != nil {
		return fmt.Errorf("%q: bad target: %w", s, err)
	}
	*r = append(*r, rule{Prefix: left[:i], Port: int32(port), Target: target})
	return nil
}

// forwarder implements portforward.PortForwarder by the rules.
type forwarder struct{ rules rules }

func (f *forwarder) PortForward(ctx context.Context, pod string, _ types.UID, port int32, stream io.ReadWriteCloser) error {
	target := ""
	for _, r := range f.rules {
		if r.Port == port && strings.HasPrefix(pod, r.Prefix) {
			target = r.Target
			break
		}
	}
	if target == "" {
		log.Printf("port-forward %s:%d: no rule", pod, port)
		return fmt.Errorf("lab-guest kubelet: no forward rule for pod %q port %d", pod, port)
	}
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := d.DialContext(dctx, "tcp", target)
	cancel()
	if err != nil {
		log.Printf("port-forward %s:%d -> %s: %v", pod, port, target, err)
		return fmt.Errorf("lab-guest kubelet: pod %q port %d: %w", pod, port, err)
	}
	defer conn.Close()
	log.Printf("port-forward %s:%d -> %s: connected", pod, port, target)

	// client -> target; on the client's EOF, half-close towards the target.
	go func() {
		_, _ = io.Copy(conn, stream)
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	// target -> client; when the target is done (or the request ends), so are we.
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(stream, conn)
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
	}
	log.Printf("port-forward %s:%d -> %s: closed", pod, port, target)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("lab-guest kubelet: pod %q port %d: %w", pod, port, err)
	}
	return nil
}

// runKubelet: see the package documentation.
func runKubelet(args []string) error {
	fs := flag.NewFlagSet("kubelet", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:10250", "HOST:PORT to listen on; port 0 picks a free one (printed on stdout)")
	readyFile := fs.String("ready-file", "", "write the listen address (host:port) here once listening")
	certDir := fs.String("cert-dir", "", "directory with kubelet.crt/kubelet.key (created self-signed if missing); default: self-signed in memory")
	var fw rules
	fs.Var(&fw, "forward", "POD_NAME_PREFIX:PORT=HOST:PORT (repeatable), e.g. kube-apiserver-:6443=127.0.0.11:6443")
	if err := fs.Parse(args); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	cert, err := kubeletCert(*certDir, host)
	if err != nil {
		return err
	}

	f := &forwarder{rules: fw}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
	pf := func(w http.ResponseWriter, r *http.Request) {
		opts, err := portforward.NewV4Options(r) // the ports of a websocket request; empty for SPDY
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		log.Printf("%s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Upgrade"))
		portforward.ServePortForward(w, r, f, r.PathValue("pod"), types.UID(r.PathValue("uid")), opts,
			4*time.Hour, 30*time.Second, portforward.SupportedProtocols)
	}
	mux.HandleFunc("/portForward/{namespace}/{pod}", pf)
	mux.HandleFunc("/portForward/{namespace}/{pod}/{uid}", pf)

	srv := &http.Server{
		Handler: mux,
		// HTTP/1.1 only: SPDY and websocket upgrades need it.
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12},
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.Default(),
	}
	fmt.Println(ln.Addr().String())
	log.Printf("listening on https://%s, %d forward rule(s): %v", ln.Addr(), len(fw), fw)
	return serve(srv, ln, *readyFile)
}

// kubeletCert loads dir/kubelet.crt and dir/kubelet.key, or makes a self-signed one (written there if dir is set).
func kubeletCert(dir, host string) (tls.Certificate, error) {
	if dir != "" {
		crt, key := filepath.Join(dir, "kubelet.crt"), filepath.Join(dir, "kubelet.key")
		if _, err := os.Stat(crt); err == nil {
			return tls.LoadX509KeyPair(crt, key)
		}
	}
	ips := []net.IP{net.ParseIP("127.0.0.1")}
	if ip := net.ParseIP(host); ip != nil && !ip.Equal(ips[0]) && !ip.IsUnspecified() {
		ips = append(ips, ip)
	}
	name, _ := os.Hostname()
	cert, err := newServingCert("lab-guest-kubelet", ips, []string{"localhost", name}, nil, nil)
	if err != nil || dir == "" {
		return cert, err
	}
	return cert, writeCertPair(cert, filepath.Join(dir, "kubelet.crt"), filepath.Join(dir, "kubelet.key"))
}
