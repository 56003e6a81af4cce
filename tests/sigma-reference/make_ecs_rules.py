#!/usr/bin/env python3
"""Writes ecs-rules/: Perimeter's own ECS-written rules for the differential run.

Shaped like real rules (exact values, lists, contains/startswith/endswith, regexes,
cidr, numeric comparisons, filters with `not`, `1 of`, keywords, null, exists,
fieldref, cased, windash, base64offset) over fields the ECS corpus carries.
Rerun after editing RULES; the YAML files are checked in."""
import os
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
NAMESPACE = uuid.UUID("6d1c0e1e-5a0b-4c38-9a51-7a1d3c0de001")

RULES = [
    ("Firewall rule action", "low", """
    selection:
        event.action: firewall-rule
    condition: selection"""),
    ("Flow expiration or termination", "informational", """
    selection:
        event.action:
            - flow-expiration
            - flow_terminated
    condition: selection"""),
    ("Threat detected action", "high", """
    selection:
        event.action: Threat Detected
    condition: selection"""),
    ("Rogue SSID", "medium", """
    selection:
        event.action|contains: rogue-ssid
    condition: selection"""),
    ("Bitbucket plugin audit", "low", """
    selection:
        event.action|startswith: bitbucket.service.plugin.
    condition: selection"""),
    ("Confluence space permission added", "medium", """
    selection:
        event.action|endswith: .permission.added
    condition: selection"""),
    ("Authentication failure", "medium", """
    selection:
        event.category: authentication
        event.outcome: failure
    condition: selection"""),
    ("IAM change", "medium", """
    selection:
        event.category: iam
        event.type: change
    condition: selection"""),
    ("Process started by sshd", "low", """
    selection:
        process.parent.name: sshd
    condition: selection"""),
    ("Internet Explorer process", "informational", """
    selection:
        process.name: IEXPLORE.EXE
    condition: selection"""),
    ("Executable from Program Files x86", "informational", """
    selection:
        process.executable|startswith: 'C:\\Program Files (x86)\\'
    condition: selection"""),
    ("System32 svchost", "informational", """
    selection:
        process.executable|endswith: '\\system32\\svchost.exe'
    condition: selection"""),
    ("Sudo usage", "low", """
    selection:
        process.name: sudo
    filter_root:
        user.name: root
    condition: selection and not filter_root"""),
    ("Sharphound command line", "critical", """
    selection:
        process.command_line|contains: sharphound
    condition: selection"""),
    ("Conhost ForceV1", "low", """
    selection:
        process.command_line|contains|all:
            - conhost.exe
            - '-ForceV1'
    condition: selection"""),
    ("Wsmprovhost embedding", "medium", """
    selection:
        process.command_line|endswith: 'wsmprovhost.exe -Embedding'
    condition: selection"""),
    ("Admin user activity", "low", """
    selection:
        user.name:
            - admin
            - Administrator
    condition: selection"""),
    ("Source in documentation range 1.2.3.0/24", "informational", """
    selection:
        source.ip|cidr: 1.2.3.0/24
    condition: selection"""),
    ("Destination in private ranges", "low", """
    selection:
        destination.ip|cidr:
            - 10.0.0.0/8
            - 172.16.0.0/12
            - 192.168.0.0/16
    condition: selection"""),
    ("Loopback source", "low", """
    selection:
        source.ip|cidr: 127.0.0.0/8
    condition: selection"""),
    ("IPv6 source", "informational", """
    selection:
        source.ip|cidr: '::/0'
    condition: selection"""),
    ("Destination port 22", "low", """
    selection:
        destination.port: 22
    condition: selection"""),
    ("Destination port above 50000", "informational", """
    selection:
        destination.port|gt: 50000
    condition: selection"""),
    ("Web ports", "informational", """
    selection:
        destination.port:
            - 80
            - '443'
            - 8080
    condition: selection"""),
    ("HTTP client errors", "low", """
    selection:
        http.response.status_code|gte: 400
        http.response.status_code|lt: 500
    condition: selection"""),
    ("HTTP 403", "low", """
    selection:
        http.response.status_code: '403'
    condition: selection"""),
    ("HTTP POST", "informational", """
    selection:
        http.request.method: post
    condition: selection"""),
    ("HTTP CONNECT or PUT", "low", """
    selection:
        http.request.method:
            - CONNECT
            - PUT
    condition: selection"""),
    ("Favicon request", "informational", """
    selection:
        url.path: /favicon.ico
    condition: selection"""),
    ("Environment API path", "low", """
    selection:
        url.path|re: '^/v1/environments/[0-9a-f-]+/'
    condition: selection"""),
    ("Product page by regex", "informational", """
    selection:
        url.path|re: '/products/[0-9]+$'
    condition: selection"""),
    ("DNS query for example domains", "informational", """
    selection:
        dns.question.name|endswith:
            - example.com
            - elastic.co
    condition: selection"""),
    ("DNS query wildcard", "informational", """
    selection:
        dns.question.name: '*.gcp.example.com'
    condition: selection"""),
    ("Executable dropped in ProgramData", "high", """
    selection:
        file.path|contains: '\\ProgramData\\'
        file.path|endswith: '.exe'
    condition: selection"""),
    ("Tasksche dropped", "critical", """
    selection:
        file.path|endswith: '\\tasksche.exe'
    condition: selection"""),
    ("Temp executable", "medium", """
    selection:
        file.path|re|i: '\\\\appdata\\\\local\\\\temp\\\\[^\\\\]+\\.exe$'
    condition: selection"""),
    ("ICMP traffic", "informational", """
    selection:
        network.transport: icmp
    condition: selection"""),
    ("UDP cased", "informational", """
    selection:
        network.transport|cased: UDP
    condition: selection"""),
    ("Sysmon provider", "informational", """
    selection:
        event.provider: Microsoft-Windows-Sysmon
    condition: selection"""),
    ("Security auditing logon events", "low", """
    selection:
        event.provider: Microsoft-Windows-Security-Auditing
        event.code:
            - 4624
            - 4625
            - 4634
    condition: selection"""),
    ("Sysmon DNS event", "informational", """
    selection:
        event.code: 22
        winlog.channel: Microsoft-Windows-Sysmon/Operational
    condition: selection"""),
    ("Old MSIE user agent", "medium", """
    selection:
        user_agent.original|contains: 'MSIE 8.0'
    condition: selection"""),
    ("Go HTTP client", "low", """
    selection:
        user_agent.original|startswith: Go-http-client
    condition: selection"""),
    ("Linux host events", "informational", """
    selection:
        host.os.type: linux
    condition: selection"""),
    ("Windows host without user", "informational", """
    selection:
        host.os.type: windows
    filter:
        user.name|exists: true
    condition: selection and not filter"""),
    ("Intrazone default rule", "informational", """
    selection:
        rule.name: intrazone-default
    condition: selection"""),
    ("ET POLICY signature", "medium", """
    selection:
        rule.name|startswith: 'ET POLICY '
    condition: selection"""),
    ("Network vendor events", "informational", """
    selection_cisco:
        observer.vendor: Cisco
    selection_pan:
        observer.vendor: Palo Alto Networks
    condition: 1 of selection_*"""),
    ("Fortinet denied", "low", """
    selection:
        observer.vendor: Fortinet
        event.type: denied
    condition: selection"""),
    ("Alert level logs", "medium", """
    selection:
        log.level:
            - alert
            - critical
            - emergency
    condition: selection"""),
    ("Forwarded tag", "informational", """
    selection:
        tags: forwarded
    condition: selection"""),
    ("Related IP 10.10.10.10", "low", """
    selection:
        related.ip: 10.10.10.10
    condition: selection"""),
    ("Related IP in 175.16.0.0/16", "low", """
    selection:
        related.ip|cidr: 175.16.0.0/16
    condition: selection"""),
    ("PowerShell channels", "medium", """
    selection:
        winlog.channel:
            - Microsoft-Windows-PowerShell/Operational
            - Windows PowerShell
    condition: selection"""),
    ("GCP or AWS cloud events", "informational", """
    selection:
        cloud.provider:
            - gcp
            - aws
    condition: selection"""),
    ("High severity events", "medium", """
    selection:
        event.severity|gte: 7
    condition: selection"""),
    ("Successful outcome without category", "informational", """
    selection:
        event.outcome: success
    filter:
        event.category: null
    condition: selection and filter"""),
    ("Parent is explorer or services", "informational", """
    selection:
        process.parent.name:
            - explorer.exe
            - services.exe
    condition: selection"""),
    ("Cmd parent with powershell child", "high", """
    selection_parent:
        process.parent.name: cmd.exe
    selection_child:
        process.name|endswith: powershell.exe
    condition: all of selection_*"""),
    ("Certutil style flags", "high", """
    selection:
        process.command_line|windash|contains: ' -decode '
    condition: selection"""),
    ("Encoded http in command line", "high", """
    selection:
        process.command_line|base64offset|contains: 'http://'
    condition: selection"""),
    ("Source equals destination", "low", """
    selection:
        source.ip|fieldref: destination.ip
    condition: selection"""),
    ("Mimikatz keyword", "critical", """
    keywords:
        - mimikatz
        - sekurlsa
    condition: keywords"""),
    ("Authentication start not from admin", "low", """
    selection:
        event.category: authentication
        event.type: start
    filter_admin:
        user.name|startswith: adm
    condition: selection and not 1 of filter_*"""),
    ("User name one character wildcard", "informational", """
    selection:
        user.name: 'user?'
    condition: selection"""),
]


def main():
    out = os.path.join(HERE, "ecs-rules")
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.endswith(".yml"):
            os.unlink(os.path.join(out, name))
    for index, (title, level, detection) in enumerate(RULES):
        rule_id = uuid.uuid5(NAMESPACE, title)
        slug = "".join(c if c.isalnum() else "_" for c in title.lower()).strip("_")
        text = (f"title: {title}\nid: {rule_id}\nstatus: test\n"
                f"description: Perimeter differential-test rule ({title}).\n"
                f"taxonomy: ecs\nlogsource:\n    product: any\n"
                f"detection:{detection}\nlevel: {level}\n")
        with open(os.path.join(out, f"ecs_{index:02d}_{slug[:50]}.yml"), "w") as handle:
            handle.write(text)
    print(f"wrote {len(RULES)} rules to {out}")


if __name__ == "__main__":
    main()
