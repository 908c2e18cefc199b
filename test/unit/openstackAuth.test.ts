// The binding authenticates as the regional providers do. The cases are the rules of the Terraform OpenStack
// provider v3.4.0 (its arguments' OS_* defaults, provider.go) and of gophercloud's clientconfig (v3auth,
// setDomainIfNeeded, GetCloudFromYAML), which that provider hands its settings to.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keystoneAuthBody, readCloudsYaml, resolveKeystoneAuth } from "../../components/cloud/openstackAuth";

const URL = "https://keystone.example.org:5000/v3";
const noCloud = (name: string): Record<string, unknown> => {
    throw new Error(`no cloud ${name} expected`);
};
const cloudOf = (entry: Record<string, unknown>) => (name: string) => {
    if (name !== "prod") throw new Error(`unexpected cloud ${name}`);
    return entry;
};

describe("resolveKeystoneAuth without a cloud: the provider's arguments, each with its OS_* default", () => {
    it("a user and a project with no domain get the provider's default_domain, `default`, as ids", () => {
        const auth = resolveKeystoneAuth({ authUrl: URL, userName: "octavia", password: "pw", tenantName: "service" }, {}, noCloud);
        expect(auth).toMatchObject({ userDomainId: "default", projectDomainId: "default", projectName: "service", interface: "public", insecure: false });
        expect(keystoneAuthBody(auth)).toEqual({
            auth: {
                identity: { methods: ["password"], password: { user: { name: "octavia", domain: { id: "default" }, password: "pw" } } },
                scope: { project: { name: "service", domain: { id: "default" } } },
            },
        });
    });

    it("a setting beats its variable; OS_TENANT_NAME comes before OS_PROJECT_NAME (MultiEnvDefaultFunc order)", () => {
        const env = { OS_AUTH_URL: URL, OS_USERNAME: "from-env", OS_PASSWORD: "pw", OS_TENANT_NAME: "tenant", OS_PROJECT_NAME: "project", OS_TOKEN: "" };
        expect(resolveKeystoneAuth({ userName: "from-setting" }, env, noCloud)).toMatchObject({ authUrl: URL, userName: "from-setting", projectName: "tenant" });
        expect(resolveKeystoneAuth({}, { ...env, OS_TENANT_NAME: undefined }, noCloud)).toMatchObject({ userName: "from-env", projectName: "project" });
    });

    it("domainName stands in for whichever of the user's and the project's domain is unset, then defaultDomain", () => {
        const base = { authUrl: URL, userName: "u", password: "pw", tenantName: "p" };
        expect(resolveKeystoneAuth({ ...base, domainName: "Ops" }, {}, noCloud)).toMatchObject({
            userDomainName: "Ops",
            projectDomainName: "Ops",
            userDomainId: undefined,
            projectDomainId: undefined,
        });
        expect(resolveKeystoneAuth({ ...base, domainName: "Ops", projectDomainName: "Tenants" }, {}, noCloud)).toMatchObject({
            userDomainName: "Ops",
            projectDomainName: "Tenants",
        });
        expect(resolveKeystoneAuth({ ...base, domainId: "d1" }, { OS_PROJECT_DOMAIN_ID: "d2" }, noCloud)).toMatchObject({ userDomainId: "d1", projectDomainId: "d2" });
        expect(resolveKeystoneAuth({ ...base, userDomainName: "Users" }, { OS_DEFAULT_DOMAIN: "dflt" }, noCloud)).toMatchObject({
            userDomainName: "Users",
            userDomainId: undefined,
            projectDomainId: "dflt",
        });
    });

    it("without a project the token is scoped to domain*, and defaultDomain is not used", () => {
        const auth = resolveKeystoneAuth({ authUrl: URL, userName: "u", password: "pw", userDomainName: "Default", domainName: "Ops" }, {}, noCloud);
        expect(auth).toMatchObject({ domainScope: { name: "Ops" }, projectDomainId: undefined });
        expect(keystoneAuthBody(auth)).toMatchObject({ auth: { scope: { domain: { name: "Ops" } } } });
    });

    it("a token replaces the user (gophercloud drops the user's name, password and domain)", () => {
        const auth = resolveKeystoneAuth({ authUrl: URL, userName: "u", password: "pw", tenantId: "p1" }, { OS_AUTH_TOKEN: "tok" }, noCloud);
        expect(auth).toMatchObject({ token: "tok", userName: undefined, password: undefined, userDomainId: undefined, projectId: "p1" });
        expect(keystoneAuthBody(auth)).toEqual({ auth: { identity: { methods: ["token"], token: { id: "tok" } }, scope: { project: { id: "p1" } } } });
    });

    it("an application credential by name carries its user and the user's domain; by id it carries nothing else", () => {
        const byName = resolveKeystoneAuth(
            { authUrl: URL, userName: "u", applicationCredentialName: "ci", applicationCredentialSecret: "s", domainId: "d1" },
            {},
            noCloud,
        );
        expect(keystoneAuthBody(byName)).toEqual({
            auth: { identity: { methods: ["application_credential"], application_credential: { name: "ci", secret: "s", user: { name: "u", domain: { id: "d1" } } } } },
        });
        const byId = resolveKeystoneAuth({ authUrl: URL, applicationCredentialId: "ac1", applicationCredentialSecret: "s" }, {}, noCloud);
        expect(keystoneAuthBody(byId)).toEqual({ auth: { identity: { methods: ["application_credential"], application_credential: { id: "ac1", secret: "s" } } } });
    });

    it("endpoint type and TLS: the settings, then OS_ENDPOINT_TYPE, OS_INSECURE, OS_CACERT", () => {
        const base = { authUrl: URL, userName: "u", password: "pw" };
        expect(resolveKeystoneAuth({ ...base, endpointType: "internalURL" }, {}, noCloud).interface).toBe("internal");
        expect(resolveKeystoneAuth(base, { OS_ENDPOINT_TYPE: "admin", OS_INSECURE: "1", OS_CACERT: "/ca.pem" }, noCloud)).toMatchObject({
            interface: "admin",
            insecure: true,
            cacertFile: "/ca.pem",
        });
        expect(resolveKeystoneAuth({ ...base, insecure: false }, { OS_INSECURE: "true" }, noCloud).insecure).toBe(false);
        expect(() => resolveKeystoneAuth({ ...base, endpointType: "private" }, {}, noCloud)).toThrow(/openstack:endpointType "private"/);
        expect(() => resolveKeystoneAuth(base, { OS_INSECURE: "yes" }, noCloud)).toThrow(/OS_INSECURE/);
    });

    it("no auth URL anywhere is an error naming where it can come from", () => {
        expect(() => resolveKeystoneAuth({ userName: "u" }, {}, noCloud)).toThrow(/openstack:authUrl, openstack:cloud \(clouds.yaml\) or OS_AUTH_URL/);
    });
});

describe("resolveKeystoneAuth with a cloud: clouds.yaml alone, OS_* filling what it leaves empty", () => {
    const prod = {
        auth: { auth_url: URL, username: "octavia", project_name: "service", user_domain_name: "Default", project_domain_name: "Default" },
        verify: false,
        cacert: "/etc/ssl/cloud.pem",
    };

    it("the provider's own credential settings are not used once a cloud is named", () => {
        const auth = resolveKeystoneAuth({ cloud: "prod", userName: "ignored", tenantName: "ignored" }, { OS_PASSWORD: "from-env" }, cloudOf(prod));
        expect(auth).toMatchObject({ userName: "octavia", password: "from-env", projectName: "service", userDomainName: "Default", projectDomainName: "Default" });
        expect(auth).toMatchObject({ insecure: true, cacertFile: "/etc/ssl/cloud.pem" });
    });

    it("OS_CLOUD names the cloud too; the file beats a variable; OS_PROJECT_NAME beats OS_TENANT_NAME (v3auth order)", () => {
        const entry = { auth: { auth_url: URL, username: "octavia", password: "file" } };
        expect(resolveKeystoneAuth({}, { OS_CLOUD: "prod", OS_PASSWORD: "env", OS_TENANT_NAME: "t", OS_PROJECT_NAME: "p" }, cloudOf(entry))).toMatchObject({
            password: "file",
            projectName: "p",
        });
    });

    it("no `default` default for the domain with a cloud; the file's default_domain (or OS_DEFAULT_DOMAIN) is used", () => {
        const entry = { auth: { auth_url: URL, username: "u", password: "pw", project_name: "p" } };
        expect(resolveKeystoneAuth({ cloud: "prod" }, {}, cloudOf(entry))).toMatchObject({ userDomainId: undefined, projectDomainId: undefined });
        expect(resolveKeystoneAuth({ cloud: "prod" }, { OS_DEFAULT_DOMAIN: "d9" }, cloudOf(entry))).toMatchObject({ userDomainId: "d9", projectDomainId: "d9" });
        const withDefault = { auth: { ...entry.auth, default_domain: "d7", domain_name: "Ops" } };
        expect(resolveKeystoneAuth({ cloud: "prod" }, {}, cloudOf(withDefault))).toMatchObject({ userDomainName: "Ops", projectDomainName: "Ops", userDomainId: undefined });
    });

    it("TLS settings still beat the file: insecure: false is kept, a setting's CA file wins", () => {
        expect(resolveKeystoneAuth({ cloud: "prod", insecure: false, cacertFile: "/mine.pem" }, {}, cloudOf(prod))).toMatchObject({ insecure: false, cacertFile: "/mine.pem" });
    });
});

describe("readCloudsYaml: where the file is found, as gophercloud finds it", () => {
    let dir: string;
    let home: string | undefined;
    const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
    };
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "tlb-clouds-"));
        home = process.env.HOME;
        process.env.HOME = path.join(dir, "home");
    });
    afterEach(() => {
        process.env.HOME = home;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("OS_CLIENT_CONFIG_FILE first; only the first file found is read, and a cloud not in it is an error naming it", () => {
        const explicit = path.join(dir, "explicit.yaml");
        const user = path.join(dir, "home", ".config", "openstack", "clouds.yaml");
        write(explicit, "clouds:\n  prod:\n    auth: {auth_url: 'https://explicit/v3'}\n");
        write(user, "clouds:\n  prod:\n    auth: {auth_url: 'https://user/v3'}\n  other:\n    auth: {auth_url: 'https://other/v3'}\n");
        expect(readCloudsYaml("prod", { OS_CLIENT_CONFIG_FILE: explicit })).toEqual({ auth: { auth_url: "https://explicit/v3" } });
        expect(readCloudsYaml("prod", {})).toEqual({ auth: { auth_url: "https://user/v3" } });
        expect(() => readCloudsYaml("other", { OS_CLIENT_CONFIG_FILE: explicit })).toThrow(`openstack:cloud "other" is not in ${explicit}`);
        expect(() => readCloudsYaml("prod", { OS_CLIENT_CONFIG_FILE: path.join(dir, "missing.yaml") })).not.toThrow();
    });

    it("secure.yaml is merged over the entry, key by key", () => {
        write(path.join(dir, "home", ".config", "openstack", "clouds.yaml"), "clouds:\n  prod:\n    auth: {auth_url: 'https://k/v3', username: u}\n    verify: false\n");
        write(path.join(dir, "home", ".config", "openstack", "secure.yaml"), "clouds:\n  prod:\n    auth: {password: s3cret}\n");
        const entry = readCloudsYaml("prod", {});
        expect(entry).toEqual({ auth: { auth_url: "https://k/v3", username: "u", password: "s3cret" }, verify: false });
        expect(resolveKeystoneAuth({ cloud: "prod" }, {}, (c) => readCloudsYaml(c, {}))).toMatchObject({ userName: "u", password: "s3cret", insecure: true });
    });

    it("no clouds file at all names every place looked in", () => {
        expect(() => readCloudsYaml("prod", {})).toThrow(/in no clouds.yaml \(looked for OS_CLIENT_CONFIG_FILE, then .*clouds.yaml/);
    });
});
