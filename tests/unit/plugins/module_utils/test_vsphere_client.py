# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""vsphere_client: server parsing, thumbprints and the TLS trust decision, against local loopback servers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import socket
import ssl
import threading

import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere.client import (
    VSphereClient, VSphereError, normalize_thumbprint, split_server, thumbprint_of,
)


@pytest.mark.parametrize('value,expected', [
    ('vc.example.com', ('vc.example.com', 443)), ('vc:8443', ('vc', 8443)), ('https://vc:9443/sdk', ('vc', 9443)),
    ('[::1]:444', ('::1', 444)), ('10.0.0.1', ('10.0.0.1', 443))])
def test_split_server(value, expected):
    assert split_server(value) == expected


def test_thumbprints():
    assert thumbprint_of(b'x') == '11:F6:AD:8E:C5:2A:29:84:AB:AA:FD:7C:3B:51:65:03:78:5C:20:72'
    assert normalize_thumbprint('ab:cd') == normalize_thumbprint('ABCD')


def _cert(tmp_path, ca=False):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u'127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(u'127.0.0.1'))]), critical=False)
            .sign(key, hashes.SHA256()))
    crt, pem_key = tmp_path / 'srv.crt', tmp_path / 'srv.key'
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem_key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return str(crt), str(pem_key), thumbprint_of(cert.public_bytes(serialization.Encoding.DER))


@pytest.fixture
def tls_server(tmp_path):
    crt, key, tp = _cert(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(5)
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, dummy = srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(1)
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield {'port': srv.getsockname()[1], 'thumbprint': tp, 'ca': crt}
    stop.set()
    srv.close()
    thread.join(2)


def test_self_signed_needs_thumbprint(tls_server):
    client = VSphereClient('127.0.0.1', tls_server['port'], timeout=2)
    with pytest.raises(VSphereError) as info:
        client.connect()
    assert info.value.kind == 'tls'
    assert info.value.message == 'thumbprint is required for secure mode with self-signed certificates'


def test_thumbprint_mismatch(tls_server):
    client = VSphereClient('127.0.0.1', tls_server['port'], thumbprint='AA:BB', timeout=2)
    with pytest.raises(VSphereError) as info:
        client.connect()
    assert info.value.message == 'thumbprint mismatch detected, expected: AA:BB, actual: %s' % tls_server['thumbprint']


def test_thumbprint_pins(tls_server):
    client = VSphereClient('127.0.0.1', tls_server['port'], thumbprint=tls_server['thumbprint'].lower(), timeout=2)
    assert client.connect() == tls_server['thumbprint']
    assert client.self_signed is True and client.trusted is False


def test_trusted_with_ca_path_ignores_thumbprint(tls_server):
    client = VSphereClient('127.0.0.1', tls_server['port'], thumbprint='AA', ca_path=tls_server['ca'], timeout=2)
    assert client.connect() == tls_server['thumbprint']
    assert client.trusted is True


def test_insecure_skips_verification(tls_server):
    client = VSphereClient('127.0.0.1', tls_server['port'], insecure=True, timeout=2)
    assert client.connect() == tls_server['thumbprint']


def test_connection_refused():
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    port = srv.getsockname()[1]
    srv.close()
    with pytest.raises(VSphereError) as info:
        VSphereClient('127.0.0.1', port, timeout=2).connect()
    assert info.value.kind == 'connection'
    assert 'failed validating connection to vCenter: failed to reach server 127.0.0.1:%d' % port in info.value.message
    assert 'refused' in info.value.message.lower()


def test_listener_that_never_answers_times_out():
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    try:
        with pytest.raises(VSphereError) as info:
            VSphereClient('127.0.0.1', srv.getsockname()[1], timeout=0.5).connect()
        assert 'timed out after 0.5s' in info.value.message
    finally:
        srv.close()


def test_with_credentials_keeps_the_trust_decision_without_a_new_probe():
    main = VSphereClient('vcenter.test', 8443, username='admin', password='a', thumbprint='AA:BB', ca_path='/ca.pem', timeout=3)
    main.server_thumbprint, main.self_signed, main.trusted = 'AA:BB', True, False
    other = main.with_credentials('cpi@vsphere.local', 'b')
    assert (other.host, other.port, other.username, other.thumbprint, other.ca_path, other.timeout) == \
        ('vcenter.test', 8443, 'cpi@vsphere.local', 'AA:BB', '/ca.pem', 3.0)
    assert (other.server_thumbprint, other.self_signed, other.trusted) == ('AA:BB', True, False)
    assert other.round_trips['tls'] == 0 and main.username == 'admin'
