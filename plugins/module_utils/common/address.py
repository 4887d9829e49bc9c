# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Parsing a server address (``host``, ``host:port``, ``[v6]:port``, ``https://host:port/sdk``) strictly."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

_PORT = re.compile(r'[0-9]{1,5}', re.ASCII)
# A host name as vCenter's are written (underscores occur): no space, control character or URL delimiter.
_HOSTNAME = re.compile(r'[^\s/@\[\]?#:\\]+', re.ASCII)


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_server(server, default_port=443):
    """(host, port) of ``server``; ValueError saying what is wrong (never a silent fallback or a wrapped port).

    A bare IPv6 address (``::1``) is a host; a port must be 1-65535 in ASCII digits.
    """
    text = server if isinstance(server, str) else ''
    if text != text.strip() or not text:
        raise ValueError('server %r is empty or has spaces around it; give a host name or IP, optionally with :port' % (server,))
    rest = text
    if '://' in rest:
        scheme, rest = rest.split('://', 1)
        if scheme.lower() not in ('https', 'http'):
            raise ValueError('server %r: unsupported scheme %s; give host[:port] or https://host[:port]' % (server, scheme))
        rest = re.split(r'[/?#]', rest, maxsplit=1)[0]
    port_text = None
    if rest.startswith('['):
        host, sep, tail = rest[1:].partition(']')
        if not sep or (tail and not tail.startswith(':')):
            raise ValueError('server %r: malformed [IPv6]:port address' % (server,))
        port_text = tail[1:] if tail else None
        if not _is_ip(host) or ':' not in host:
            raise ValueError('server %r: %r in brackets is not an IPv6 address' % (server, host))
    elif rest.count(':') == 1:
        host, dummy, port_text = rest.partition(':')
    else:
        host = rest  # a host name, an IPv4 address or a bare IPv6 address
    if port_text is None:
        port = default_port
    elif not _PORT.fullmatch(port_text) or not 0 < int(port_text) <= 65535:
        raise ValueError('server %r: port %r is invalid; give a port between 1 and 65535' % (server, port_text))
    else:
        port = int(port_text)
    if not host or not (_is_ip(host) or _HOSTNAME.fullmatch(host)) or any(ord(ch) < 32 or ord(ch) == 127 for ch in host):
        raise ValueError('server %r: host %r is not a valid host name or IP address' % (server, host))
    return host, port
