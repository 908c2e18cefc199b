import { parseCidr, ParsedCidr } from "../../components/config/cidr";
import { OPENSTACK_SETTINGS, stackConfig } from "./pulumiMocks";

/** A CIDR as the config schema hands it over (parsed); one the rules refuse fails the test at once. */
export function cidr(text: string): ParsedCidr {
    const parsed = parseCidr(text);
    if (typeof parsed === "string") throw new Error(parsed);
    return parsed;
}

export const TEST_PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAtestkeytestkey\n-----END OPENSSH PRIVATE KEY-----\n";
/** A whole ed25519 public key line (the rules decode the key blob). */
export const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl node2";
export const TEST_HEARTBEAT_KEY = "hb-key-#;=\"'\\-never-in-plaintext";

/** The guide's topology: CentralRegion; RegionOne/node1 on 192.168.10.0/24; RegionTwo/node2 on 192.168.20.0/24. */
export function guideNamespace(): Record<string, any> {
    return {
        centralRegion: "CentralRegion",
        healthManager: { port: 5555, heartbeatKey: TEST_HEARTBEAT_KEY },
        // The guide pins no host key: its nodes are reached as they answer the first time, then pinned.
        ssh: { user: "stack", privateKey: TEST_PRIVATE_KEY, hostKeyPolicy: "accept-new" },
        regions: [
            {
                name: "RegionOne",
                mgmt: { cidr: "192.168.10.0/24" },
                controllers: [{ host: "10.7.20.110", hostname: "node1" }],
            },
            {
                name: "RegionTwo",
                mgmt: { cidr: "192.168.20.0/24" },
                controllers: [{ host: "10.7.20.114", hostname: "node2" }],
            },
        ],
    };
}

export const SECRET_KEYS = ["tricircle-lbaas:healthManager", "tricircle-lbaas:ssh", "openstack:password"];

export function guideConfig(overrides: Record<string, any> = {}): Record<string, string> {
    return stackConfig({ ...guideNamespace(), ...overrides }, OPENSTACK_SETTINGS);
}

/** A small demo on the guide's topology: two networks, a backend per region, lb1 with both as members. */
export function guideDemo(): Record<string, any> {
    return {
        image: "cirros",
        flavor: "m1.tiny",
        networks: [
            { name: "net1", cidr: "10.0.10.0/24" },
            { name: "net2", cidr: "10.0.20.0/24" },
        ],
        backends: [
            { name: "backend1", region: "RegionOne", network: "net1" },
            { name: "backend3", region: "RegionTwo", network: "net2" },
        ],
        loadBalancers: [
            {
                name: "lb1",
                region: "RegionOne",
                vipNetwork: "net1",
                listener: { protocol: "HTTP", port: 80 },
                pool: { protocol: "HTTP", algorithm: "ROUND_ROBIN" },
                members: ["backend1", "backend3"],
            },
        ],
    };
}
