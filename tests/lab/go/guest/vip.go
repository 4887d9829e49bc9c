package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"time"
)

// runVIP: see the package documentation.
func runVIP(args []string) error {
	fs := flag.NewFlagSet("vip", flag.ContinueOnError)
	listen := fs.String("listen", "", "HOST:PORT to listen on, e.g. 127.0.0.11:6443 (required)")
	caCertFile := fs.String("cluster-ca-cert", "", "the workload cluster's CA certificate, PEM (required)")
	caKeyFile := fs.String("cluster-ca-key", "", "the workload cluster's CA key, PEM: PKCS#1, PKCS#8 or EC (required)")
	upstream := fs.String("upstream", "", "URL of the real kube-apiserver, https://127.0.0.1:PORT (required)")
	upstreamCA := fs.String("upstream-ca", "", "CA bundle that verifies the upstream's serving certificate (required)")
	upstreamCert := fs.String("upstream-cert", "", "client certificate for the upstream, allowed to impersonate (required)")
	upstreamKey := fs.String("upstream-key", "", "key of --upstream-cert (required)")
	readyFile := fs.String("ready-file", "", "write the listen address here once listening")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for name, v := range map[string]string{"listen": *listen, "cluster-ca-cert": *caCertFile, "cluster-ca-key": *caKeyFile,
		"upstream": *upstream, "upstream-ca": *upstreamCA, "upstream-cert": *upstreamCert, "upstream-key": *upstreamKey} {
		if v == "" {
			return fmt.Errorf("--%s is required", name)
		}
	}

	caCert, err := loadCert(*caCertFile)
	if err != nil {
		return err
	}
	caKey, err := loadKey(*caKeyFile)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")}
	dns := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	if ip := net.ParseIP(host); ip != nil {
		if !ip.Equal(ips[0]) {
			ips = append(ips, ip)
		}
	} else if host != "" {
		dns = append(dns, host)
	}
	serving, err := newServingCert("kube-apiserver", ips, dns, caCert, caKey)
	if err != nil {
		return fmt.Errorf("serving certificate: %w", err)
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(caCert)

	target, err := url.Parse(*upstream)
	if err != nil {
		return fmt.Errorf("--upstream: %w", err)
	}
	upCAPEM, err := os.ReadFile(*upstreamCA)
	if err != nil {
		return err
	}
	upRoots := x509.NewCertPool()
	if !upRoots.AppendCertsFromPEM(upCAPEM) {
		return fmt.Errorf("%s: no certificate", *upstreamCA)
	}
	upClient, err := tls.LoadX509KeyPair(*upstreamCert, *upstreamKey)
	if err != nil {
		return fmt.Errorf("upstream client certificate: %w", err)
	}
	// HTTP/1.1 only to the upstream (a custom TLSClientConfig without ForceAttemptHTTP2): SPDY upgrades
	// (port-forward, exec) cannot go over HTTP/2.
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: upRoots, Certificates: []tls.Certificate{upClient}, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}

	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
			user := pr.In.TLS.VerifiedChains[0][0].Subject
			h := pr.Out.Header
			h.Del("Authorization")
			for k := range h {
				if strings.HasPrefix(strings.ToLower(k), "impersonate-") {
					delete(h, k)
				}
			}
			h.Set("Impersonate-User", user.CommonName)
			for _, g := range user.Organization {
				h.Add("Impersonate-Group", g)
			}
		},
		Transport:     transport,
		FlushInterval: -1, // watches and logs stream
		ErrorLog:      log.Default(),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, r.Context().Err()) {
				return // the client went away
			}
			log.Printf("%s %s: upstream: %v", r.Method, r.URL.Path, err)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || r.TLS.VerifiedChains[0][0].Subject.CommonName == "" {
			unauthorized(w)
			return
		}
		proxy.ServeHTTP(w, r)
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: handler,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{serving},
			ClientCAs:    clientCAs,
			ClientAuth:   tls.VerifyClientCertIfGiven,
			MinVersion:   tls.VersionTLS12,
		},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.Default(),
	}
	log.Printf("listening on https://%s (CN kube-apiserver, signed by %q), upstream %s", ln.Addr(), caCert.Subject.CommonName, target)
	return serve(srv, ln, *readyFile)
}

// unauthorized answers 401 with a Status object, as kube-apiserver does.
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`+"\n")
}
