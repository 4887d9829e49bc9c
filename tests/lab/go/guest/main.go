// Command lab-guest plays, for the test lab, the two parts of a Kubernetes control-plane VM that the real
// Cluster API controllers (KubeadmControlPlane, the etcdadm controllers) talk to and that cannot run here:
// there are no VMs, so there is no kube-vip and no kubelet.
//
// # lab-guest vip
//
// Simulates the control-plane endpoint of a workload cluster: the virtual IP that kube-vip announces in front
// of kube-apiserver (Cluster.spec.controlPlaneEndpoint). It is a TLS-terminating HTTP reverse proxy that
// presents the *cluster's* PKI, the CA that Cluster API generated into the <cluster>-ca Secret: at start it
// signs, in memory, a serving certificate with that CA (CN kube-apiserver, as Cluster API checks the peer
// certificate's CN, and the usual kube-apiserver SANs plus the listen IP). Clients must present a
// certificate signed by the same CA (as the <cluster>-kubeconfig Secret's does); each request is forwarded
// to a real lab kube-apiserver, authenticated there by an admin certificate (group system:masters) that
// impersonates the client certificate's CN (Impersonate-User) and Organizations (Impersonate-Group). So the
// controllers see a cluster with its own CA and its own users, while the lab runs one shared API server
// with the lab's CA. Streaming watches and protocol upgrades (SPDY/websocket: port-forward, exec) pass
// through.
//
//	lab-guest vip --listen 127.0.0.11:6443 --cluster-ca-cert ca.crt --cluster-ca-key ca.key \
//	    --upstream https://127.0.0.1:PORT --upstream-ca lab-ca.crt --upstream-cert admin.crt --upstream-key admin.key \
//	    [--ready-file FILE]
//
// # lab-guest kubelet
//
// Simulates the one kubelet endpoint that Cluster API uses: port-forward. KubeadmControlPlane reaches the
// etcd members (and the API server pods) through pods/portforward, which the kube-apiserver turns into a
// connection to the kubelet of the pod's Node (Node status.addresses and status.daemonEndpoints.kubeletEndpoint)
// at /portForward/{namespace}/{pod}[/{uid}]. This serves that path over HTTPS with the kubelet's own streaming
// package (k8s.io/kubelet/pkg/cri/streaming/portforward: SPDY and websocket), and forwards the streams by
// rule instead of into a pod's network namespace:
//
//	lab-guest kubelet --listen 127.0.0.1:0 --forward kube-apiserver-:6443=127.0.0.11:6443 --forward etcd-:2379=127.0.0.1:2379 \
//	    [--ready-file FILE] [--cert-dir DIR]
//
// A --forward RULE is POD_NAME_PREFIX:PORT=HOST:PORT; the first rule whose prefix matches the pod name and
// whose port matches wins; a pod/port without a rule gets an error on the port-forward's error stream. The
// kube-apiserver does not verify the kubelet's serving certificate unless given
// --kubelet-certificate-authority, so a self-signed one (in memory, or kubelet.crt/kubelet.key in --cert-dir)
// is enough. /healthz answers 200.
//
// Both write the listen address (host:port) to --ready-file once listening, log to stderr, and exit cleanly on
// SIGTERM or SIGINT.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: lab-guest vip|kubelet [flags] (lab-guest SUBCOMMAND -h for the flags)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "vip":
		log.SetPrefix("lab-guest vip: ")
		err = runVIP(os.Args[2:])
	case "kubelet":
		log.SetPrefix("lab-guest kubelet: ")
		err = runKubelet(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q (want vip or kubelet)", os.Args[1])
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// serve runs srv on ln (TLS configured in srv.TLSConfig) until SIGTERM/SIGINT, after writing ln's address to
// readyFile (if not empty).
func serve(srv *http.Server, ln net.Listener, readyFile string) error {
	if readyFile != "" {
		tmp := readyFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, readyFile); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Print("signal received, shutting down")
	// Shutdown does not wait for hijacked (upgraded) connections nor, past the timeout, for watches.
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// readPEM returns the DER bytes of the first PEM block in file.
func readPEM(file string) (*pem.Block, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", file)
	}
	return block, nil
}

func loadCert(file string) (*x509.Certificate, error) {
	block, err := readPEM(file)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return cert, nil
}

// loadKey reads an RSA (PKCS#1), EC (SEC 1) or PKCS#8 private key.
func loadKey(file string) (crypto.Signer, error) {
	block, err := readPEM(file)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: not a PKCS#1, EC or PKCS#8 private key: %w", file, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: unsupported key type %T", file, k)
	}
	return s, nil
}

// newServingCert makes a fresh ECDSA P-256 key and a serving certificate for it, valid one year, signed by
// caCert/caKey, or self-signed if caCert is nil.
func newServingCert(cn string, ips []net.IP, dns []string, caCert *x509.Certificate, caKey crypto.Signer) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IPAddresses:           ips,
		DNSNames:              dns,
	}
	parent, signer := tmpl, crypto.Signer(key)
	if caCert != nil {
		parent, signer = caCert, caKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return tls.Certificate{}, err
	}
	chain := [][]byte{der}
	if caCert != nil {
		chain = append(chain, caCert.Raw)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

// writeCertPair writes cert (PEM chain) and its ECDSA key to certFile/keyFile.
func writeCertPair(cert tls.Certificate, certFile, keyFile string) error {
	var certPEM []byte
	for _, der := range cert.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certFile, certPEM, 0o644)
}
