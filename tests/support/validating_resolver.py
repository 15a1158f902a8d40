#!/usr/bin/python3
"""A stand-in for a validating resolver on a loopback port: it answers from a zone file
and sets the AD bit (RFC 4035 3.2.3) on every answer except those under the names listed
as insecure, as unbound does for signed and unsigned zones. Names listed as failing get
SERVFAIL. Remote delivery trusts the AD bit of the resolver it is configured with, so this
is what its DANE decisions see; signing a zone and validating it is the resolver's job,
tested by its own authors.

usage: validating_resolver.py PORT ZONEFILE [--insecure NAME]... [--servfail NAME]...
"""
import socket
import sys

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone


def main():
    port = int(sys.argv[1])
    zone = dns.zone.from_file(sys.argv[2], origin="example.", relativize=False)
    insecure, servfail = [], []
    args = sys.argv[3:]
    while args:
        flag, name = args[0], dns.name.from_text(args[1])
        (insecure if flag == "--insecure" else servfail).append(name)
        args = args[2:]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    print("listening", flush=True)
    while True:
        data, peer = sock.recvfrom(4096)
        try:
            query = dns.message.from_wire(data)
        except Exception:
            continue
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        qname, qtype = question.name, question.rdtype
        print("query", dns.rdatatype.to_text(qtype), qname.to_text(), flush=True)
        if any(qname.is_subdomain(n) for n in servfail):
            response.set_rcode(dns.rcode.SERVFAIL)
        else:
            node = zone.get_node(qname)
            if node is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            else:
                rdataset = node.get_rdataset(dns.rdataclass.IN, qtype)
                if rdataset is not None:
                    rrset = response.find_rrset(response.answer, qname, dns.rdataclass.IN, qtype,
                                                create=True)
                    rrset.update(rdataset)
            if not any(qname.is_subdomain(n) for n in insecure):
                response.flags |= dns.flags.AD
        sock.sendto(response.to_wire(), peer)


if __name__ == "__main__":
    main()
