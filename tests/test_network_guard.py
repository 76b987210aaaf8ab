import socket

import pytest

from tests.conftest import NetworkBlockedError


def test_outbound_connections_are_blocked_in_tests() -> None:
    with pytest.raises(NetworkBlockedError), socket.create_connection(("93.184.216.34", 443)):
        pass


def test_dns_lookups_are_blocked_in_tests() -> None:
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("purl.imsglobal.org", 443)
