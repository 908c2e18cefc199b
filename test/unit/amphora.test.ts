// What Octavia needs to boot amphorae (`amphora`): the schema and its checks, the image check against a FAKE Glance
// on loopback (fakeCloud.ts; the real Glance is the e2e suite's), and the program under MOCKS: per region a private
// flavor with access for Octavia's project, a keypair of Octavia's user, the PKI, and what each controller merges.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { amphoraImageProblems, imageProblem, listTaggedImages } from "../../components/amphora/imageCheck";
import { ConfigError, parseStackConfig } from "../../components/config/model";
import { catalogSession } from "../../components/cloud/portBinding/neutronPortApi";
import { NeutronAccess } from "../../components/cloud/portBinding/neutronAccess";
import { fakeCloud, FakeImage } from "./fakeCloud";
import { guideConfig, guideNamespace, HOST_KEY, SECRET_KEYS } from "./fixtures";
import { isSecret, plain, ProgramError, runStack } from "./pulumiMocks";

const AMPHORA = {
    flavor: { vcpus: 1, ramMb: 1024, diskGb: 3 },
    image: { tag: "amphora", owner: "service" },
    keypair: { publicKey: HOST_KEY },
    certificates: { caValidityDays: 7300, clientValidityDays: 730 },
};

function issuesOf(amphora: unknown): string[] {
    try {
        parseStackConfig({ ...guideNamespace(), amphora });
    } catch (err) {
        if (err instanceof ConfigError) return err.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
        throw err;
    }
    return [];
}

describe("amphora: the schema", () => {
    it("takes the contract's example into the model, with the defaults filled in", () => {
        const model = parseStackConfig({ ...guideNamespace(), amphora: AMPHORA });
        expect(model.amphora).toEqual({
            flavor: { vcpus: 1, ramMb: 1024, diskGb: 3 },
            image: { tag: "amphora", owner: "service" },
            keypair: { publicKey: HOST_KEY, user: "octavia" },
            certificates: { caValidityDays: 7300, clientValidityDays: 730, rotation: 0, provided: undefined },
        });
    });

    it("absent or {} leaves the amphora settings alone", () => {
        expect(parseStackConfig(guideNamespace()).amphora).toBeUndefined();
        expect(parseStackConfig({ ...guideNamespace(), amphora: {} }).amphora).toBeUndefined();
    });

    it("names the field of each bad value", () => {
        expect(issuesOf({ flavor: { vcpus: 1, ramMb: 1, diskGb: 3 } })).toEqual([expect.stringMatching(/^amphora\.flavor\.ramMb: .*256/)]);
        expect(issuesOf({ image: { tag: "" } })).toEqual([expect.stringMatching(/^amphora\.image\.tag: must not be empty/)]);
        expect(issuesOf({ keypair: { publicKey: "ssh-ed25519 AAAA" } })).toEqual([expect.stringMatching(/^amphora\.keypair\.publicKey: /)]);
        expect(issuesOf({ certificates: { clientValidityDays: 0 } })).toEqual([expect.stringMatching(/^amphora\.certificates\.clientValidityDays: /)]);
        expect(issuesOf({ flavour: {} })).toEqual([expect.stringMatching(/^amphora\.flavour: unknown key/)]);
    });

    it("an operator's PKI must cover every local region and only those, and its passphrases are never quoted", () => {
        const pki = {
            serverCaCertificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
            serverCaPrivateKey: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nx\n-----END ENCRYPTED PRIVATE KEY-----\n",
            serverCaPassphrase: "short-passphrase-not-fernet",
            clientCaCertificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
            clientCertificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
            clientPrivateKey: "not pem",
            serverCertsKeyPassphrase: "a".repeat(32),
        };
        const issues = issuesOf({ certificates: { provided: { RegionOne: pki, RegionTwo: pki } } });
        expect(issues).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^amphora\.certificates\.provided\.RegionOne\.serverCaPassphrase: must be 32 characters/),
                expect.stringMatching(/^amphora\.certificates\.provided\.RegionOne\.clientPrivateKey: must be PEM text/),
            ]),
        );
        const wellFormed = { ...pki, serverCaPassphrase: "b".repeat(32), clientPrivateKey: pki.serverCaPrivateKey.replace(/ENCRYPTED /g, "") };
        const deep = issuesOf({ certificates: { provided: { RegionOne: wellFormed, RegionThree: wellFormed } } });
        expect(deep).toEqual(
            expect.arrayContaining([
                'amphora.certificates.provided.RegionThree: "RegionThree" is not a local region (regions[].name: RegionOne, RegionTwo)',
                'amphora.certificates.provided: no PKI for region "RegionTwo": give one for every local region, or none (the stack then makes them)',
                // PEM-shaped but no certificate inside: the PKI's own checks (test/unit/pki.test.ts has each case).
                expect.stringMatching(/^amphora\.certificates\.provided\.RegionOne: serverCaCertificate/),
            ]),
        );
        expect(issues.join("\n")).not.toContain("short-passphrase-not-fernet");
    });
});

const image = (id: string, over: Partial<FakeImage> = {}): FakeImage => ({
    id,
    name: `img-${id}`,
    status: "active",
    owner: "svc",
    tags: ["amphora"],
    created_at: "2026-01-01T00:00:00Z",
    ...over,
});

describe("amphora: the image check (FAKE Glance)", () => {
    const access = (): NeutronAccess => ({ authUrl: `${fakeCloud.url}/v3`, authBody: {}, interface: "public" }) as unknown as NeutronAccess;
    beforeAll(async () => {
        await fakeCloud.start();
        fakeCloud.regions = ["RegionOne", "RegionTwo"];
    });
    afterEach(() => {
        fakeCloud.images = [];
        fakeCloud.requests = [];
    });

    it("one image: no problem; none: Octavia's own failure, named; several: their ids and the one Octavia would take", () => {
        const q = { tag: "amphora" };
        expect(imageProblem("RegionOne", q, [image("a")])).toBeUndefined();
        expect(imageProblem("RegionOne", { tag: "amphora", owner: "service", ownerId: "svc" }, [])).toBe(
            'region RegionOne: no active image tagged "amphora" owned by "service" (Octavia would fail every amphora boot with "Failed to retrieve image with amphora tag")',
        );
        expect(imageProblem("RegionTwo", q, [image("new"), image("old")])).toMatch(/^region RegionTwo: 2 of them carry it: new \(img-new\), old \(img-old\); .*the newest, new\)/);
    });

    it("asks Glance what Octavia's glance driver asks: the tag, active, the owner, newest first, every page", async () => {
        fakeCloud.images = [
            ...Array.from({ length: 120 }, (_, i) => image(`p${String(i).padStart(3, "0")}`, { created_at: `2026-01-01T00:${String(i % 60).padStart(2, "0")}:00Z` })),
            image("queued", { status: "queued" }),
            image("other-owner", { owner: "someone" }),
            image("other-tag", { tags: ["amphora-old"] }),
        ];
        const session = await catalogSession(access(), "RegionOne", { type: "image", name: "Glance", version: "/v2" });
        const found = await listTaggedImages(session, { tag: "amphora", ownerId: "svc" });
        expect(found).toHaveLength(120);
        expect(fakeCloud.requests[0]).toBe("/v2/images?tag=amphora&status=active&sort=created_at%3Adesc&limit=100&owner=svc");
        expect(fakeCloud.requests).toHaveLength(2);
    });

    it("reports every region's problem at once", async () => {
        fakeCloud.images = [image("a"), image("b")];
        const problems = await amphoraImageProblems(access(), ["RegionOne", "RegionTwo"], { tag: "amphora" });
        expect(problems).toHaveLength(2);
        expect(problems[0]).toMatch(/^region RegionOne: 2 of them/);
        fakeCloud.images = [image("a", { owner: "svc" })];
        expect(await amphoraImageProblems(access(), ["RegionOne"], { tag: "amphora", ownerId: "other", owner: "other" })).toEqual([
            expect.stringMatching(/^region RegionOne: no active image tagged "amphora" owned by "other"/),
        ]);
    });
});

const SERVICE = "9d88403d71bb4cb3a3ad302d9fc18259";
const OCTAVIA_USER = "4c2f0e1a9b8d4e7f8a6b5c4d3e2f1a0b";
const calls = {
    "openstack:identity/getProject:getProject": (inputs: any) => {
        if (inputs.name === "service" || inputs.projectId === SERVICE) return { id: SERVICE, name: "service" };
        throw new Error("Your query returned no results");
    },
    "openstack:identity/getUser:getUser": (inputs: any) => {
        if (inputs.name === "octavia") return { id: OCTAVIA_USER, name: "octavia" };
        throw new Error("Your query returned no results");
    },
};

describe("amphora: the program (MOCKS, FAKE Glance)", () => {
    beforeAll(async () => {
        await fakeCloud.start();
    });
    afterEach(() => {
        fakeCloud.images = [];
    });

    it("per region: a private flavor with access for Octavia's project, a keypair of Octavia's user, a PKI; each node merges them and gets the files", async () => {
        fakeCloud.images = [image("amp-image", { owner: SERVICE })];
        const run = await runStack(guideConfig({ amphoraProject: "service", amphora: AMPHORA }), { secretKeys: [...SECRET_KEYS, "tricircle-lbaas:amphora"], calls });
        const flavors = run.ofType("openstack:compute/flavor:Flavor");
        expect(flavors.map((f) => plain(f.inputs))).toEqual([
            expect.objectContaining({ name: "tlb-amphora-unit-RegionOne", vcpus: 1, ram: 1024, disk: 3, isPublic: false, extraSpecs: { "hw_rng:allowed": "True" } }),
            expect.objectContaining({ name: "tlb-amphora-unit-RegionTwo", vcpus: 1, ram: 1024, disk: 3, isPublic: false }),
        ]);
        // Each in its own region: Nova's flavors and keypairs are per region.
        expect(flavors.map((f) => f.provider)).toEqual([expect.stringContaining("openstack-RegionOne"), expect.stringContaining("openstack-RegionTwo")]);
        expect(run.ofType("openstack:compute/flavorAccess:FlavorAccess").map((a) => plain(a.inputs).tenantId)).toEqual([SERVICE, SERVICE]);
        expect(run.ofType("openstack:compute/keypair:Keypair").map((k) => plain(k.inputs))).toEqual([
            expect.objectContaining({ name: "tlb-amphora-unit-RegionOne", publicKey: HOST_KEY, userId: OCTAVIA_USER }),
            expect.objectContaining({ name: "tlb-amphora-unit-RegionTwo", publicKey: HOST_KEY, userId: OCTAVIA_USER }),
        ]);
        expect(run.ofType("pulumi-nodejs:dynamic/amphora:RegionPki").map((p) => plain(p.inputs).region)).toEqual(["RegionOne", "RegionTwo"]);
        // Every controller: the certificates command (its stdin secret) and the conf keys, the passphrases by reference.
        const certificates = run.resources.filter((r) => r.type === "command:remote:Command" && r.name.endsWith("-certificates"));
        expect(certificates.map((c) => c.name)).toEqual(["region-RegionOne-node-node1-certificates", "region-RegionTwo-node-node2-certificates"]);
        for (const c of certificates) expect(isSecret(c.inputs.stdin)).toBe(true);
        const conf = run.byName("region-RegionOne-node-node1-octavia-conf");
        const settings = JSON.parse(/TLB_SETTINGS='([^']*)'/.exec(plain(conf.inputs).create)![1]) as Array<{ section: string; key: string; value?: string; secret?: string }>;
        const byKey = Object.fromEntries(settings.map((s) => [`${s.section}.${s.key}`, s.value ?? `<${s.secret}>`]));
        expect(byKey).toMatchObject({
            "controller_worker.amp_flavor_id": flavors[0].id,
            "controller_worker.amp_image_tag": "amphora",
            "controller_worker.amp_image_owner_id": SERVICE,
            "controller_worker.amp_ssh_key_name": "tlb-amphora-unit-RegionOne",
            "controller_worker.client_ca": "/etc/octavia/certs/client_ca.cert.pem",
            "certificates.ca_certificate": "/etc/octavia/certs/server_ca.cert.pem",
            "certificates.ca_private_key": "/etc/octavia/certs/server_ca.key.pem",
            "certificates.ca_private_key_passphrase": "<ca_private_key_passphrase>",
            "certificates.server_certs_key_passphrase": "<server_certs_key_passphrase>",
            "haproxy_amphora.client_cert": "/etc/octavia/certs/client.cert-and-key.pem",
            "haproxy_amphora.server_ca": "/etc/octavia/certs/server_ca.cert.pem",
        });
    });

    it("without an image: no cloud object is registered, and the refusal names the key and every region", async () => {
        const failure = await runStack(guideConfig({ amphora: AMPHORA }), { secretKeys: SECRET_KEYS, calls }).then(
            () => undefined,
            (err: unknown) => err,
        );
        // Only the providers are registered before the cloud is looked at: no cloud object.
        expect(failure).toBeInstanceOf(ProgramError);
        expect([...new Set((failure as ProgramError).resources.map((r) => r.type))].sort()).toEqual(["pulumi:providers:openstack", "tricircle-lbaas:cloud:RegionalProviders"]);
        expect(String(failure)).toContain("amphora.image.tag: region RegionOne: no active image tagged \"amphora\" owned by \"service\"");
        expect(String(failure)).toContain("amphora.image.tag: region RegionTwo:");
    });

    it("an unknown keypair user or image owner fails naming its key", async () => {
        fakeCloud.images = [image("amp-image", { owner: SERVICE })];
        const bad = (amphora: unknown) =>
            runStack(guideConfig({ amphora }), { secretKeys: SECRET_KEYS, calls }).then(
                () => "ran",
                (err: unknown) => String(err),
            );
        expect(await bad({ ...AMPHORA, keypair: { publicKey: HOST_KEY, user: "nobody" } })).toMatch(/amphora\.keypair\.user: no Keystone user "nobody"/);
        expect(await bad({ ...AMPHORA, image: { tag: "amphora", owner: "nowhere" } })).toMatch(/amphora\.image\.owner: no Keystone project "nowhere"/);
    });
});
