import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import type { NeutronAccess } from "./portBinding/neutronAccess";

/**
 * What Keystone needs to issue a token, resolved in the program (which sees the stack's `openstack:*` settings,
 * clouds.yaml and OS_* variables) and handed to the binding provider as one secret input.
 */
export interface KeystoneAuth {
    authUrl: string;
    userName?: string;
    userId?: string;
    password?: string;
    userDomainName?: string;
    userDomainId?: string;
    projectName?: string;
    projectId?: string;
    projectDomainName?: string;
    projectDomainId?: string;
    applicationCredentialId?: string;
    applicationCredentialName?: string;
    applicationCredentialSecret?: string;
    token?: string;
    /** Without a project: the domain the token is scoped to. */
    domainScope?: { id: string } | { name: string };
    interface: "public" | "internal" | "admin";
    insecure: boolean;
    cacertFile?: string;
}

/** The subset of openstack provider settings the resolution reads (plain values). */
export type ProviderSettings = Partial<Record<string, string | boolean | number | undefined>>;

function str(v: unknown): string | undefined {
    return typeof v === "string" && v !== "" ? v : undefined;
}

function bool(v: unknown): boolean | undefined {
    if (typeof v === "boolean") return v;
    if (typeof v !== "string" || v === "") return undefined;
    // Terraform's schema reads a boolean from the environment with Go's strconv.ParseBool.
    if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
    if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return false;
    throw new Error(`OS_INSECURE: "${v}" is not a boolean`);
}

// The binding must authenticate exactly as the regional providers do, or a stack could bind ports as one identity
// and create them as another. The providers are the Terraform OpenStack provider, whose rules are those of
// gophercloud's clientconfig (itself modelled on os-client-config and osc-lib): this module follows them, and
// test/unit/openstackAuth.test.ts holds the cases.

/** The places gophercloud looks for a clouds file, in its order; the first that exists is the only one read. */
function cloudFilePlaces(base: string, env: NodeJS.ProcessEnv): string[] {
    const places = (name: string) => [
        path.join(process.cwd(), name),
        path.join(os.homedir(), ".config", "openstack", name),
        path.join("/etc", "openstack", name),
    ];
    return [...places(`${base}.yaml`), ...places(`${base}.yml`)].filter((p) => p !== env.OS_CLIENT_CONFIG_FILE);
}

function firstExisting(files: (string | undefined)[]): string | undefined {
    return files.find((f): f is string => !!f && fs.existsSync(f));
}

type CloudEntry = Record<string, unknown>;

function cloudsOf(file: string): Record<string, CloudEntry> {
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { clouds?: Record<string, CloudEntry> } | undefined;
    return doc?.clouds ?? {};
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Recursive merge in which `override` wins where both define a value (gophercloud's mergeClouds). */
function merged(base: CloudEntry, override: CloudEntry): CloudEntry {
    const out: CloudEntry = { ...base };
    for (const [k, v] of Object.entries(override)) {
        out[k] = isObject(v) && isObject(base[k]) ? merged(base[k], v) : v;
    }
    return out;
}

/**
 * One cloud of clouds.yaml: OS_CLIENT_CONFIG_FILE, else the first of ./clouds.yaml, ~/.config/openstack/clouds.yaml,
 * /etc/openstack/clouds.yaml (then the same as .yml), with secure.yaml, found the same way, merged over it.
 */
export function readCloudsYaml(cloud: string, env: NodeJS.ProcessEnv = process.env): CloudEntry {
    const cloudsFile = firstExisting([env.OS_CLIENT_CONFIG_FILE, ...cloudFilePlaces("clouds", env)]);
    const secureFile = firstExisting(cloudFilePlaces("secure", {}));
    const entry = cloudsFile ? cloudsOf(cloudsFile)[cloud] : undefined;
    const secure = secureFile ? cloudsOf(secureFile)[cloud] : undefined;
    if (!entry && !secure) {
        const where = cloudsFile ? `not in ${cloudsFile}` : `in no clouds.yaml (looked for OS_CLIENT_CONFIG_FILE, then ${cloudFilePlaces("clouds", env).join(", ")})`;
        throw new Error(`openstack:cloud "${cloud}" is ${where}`);
    }
    return merged(entry ?? {}, secure ?? {});
}

function normaliseInterface(value: string | undefined): KeystoneAuth["interface"] {
    const v = (value ?? "public").replace(/URL$/, "");
    if (v === "public" || v === "internal" || v === "admin") return v;
    throw new Error(`openstack:endpointType "${value}" is not one of public, internal, admin`);
}

type Credentials = Omit<KeystoneAuth, "authUrl" | "interface" | "insecure" | "cacertFile" | "domainScope"> & {
    domainName?: string;
    domainId?: string;
    defaultDomain?: string;
};

/** A provider argument: its `openstack:*` setting, else the first of its OS_* variables that is set. */
function argument(settings: ProviderSettings, env: NodeJS.ProcessEnv, setting: string, ...envKeys: string[]): string | undefined {
    return str(settings[setting]) ?? envKeys.map((k) => str(env[k])).find((v) => v !== undefined);
}

/** From the provider's arguments: each `openstack:*` setting with its OS_* default (Terraform's DefaultFunc). */
function credentialsFromSettings(settings: ProviderSettings, env: NodeJS.ProcessEnv): Credentials {
    const arg = (setting: string, ...envKeys: string[]) => argument(settings, env, setting, ...envKeys);
    return {
        userName: arg("userName", "OS_USERNAME"),
        userId: arg("userId", "OS_USER_ID"),
        password: arg("password", "OS_PASSWORD"),
        userDomainName: arg("userDomainName", "OS_USER_DOMAIN_NAME"),
        userDomainId: arg("userDomainId", "OS_USER_DOMAIN_ID"),
        projectName: arg("tenantName", "OS_TENANT_NAME", "OS_PROJECT_NAME"),
        projectId: arg("tenantId", "OS_TENANT_ID", "OS_PROJECT_ID"),
        projectDomainName: arg("projectDomainName", "OS_PROJECT_DOMAIN_NAME"),
        projectDomainId: arg("projectDomainId", "OS_PROJECT_DOMAIN_ID"),
        domainName: arg("domainName", "OS_DOMAIN_NAME"),
        domainId: arg("domainId", "OS_DOMAIN_ID"),
        defaultDomain: arg("defaultDomain", "OS_DEFAULT_DOMAIN") ?? "default",
        applicationCredentialId: arg("applicationCredentialId", "OS_APPLICATION_CREDENTIAL_ID"),
        applicationCredentialName: arg("applicationCredentialName", "OS_APPLICATION_CREDENTIAL_NAME"),
        applicationCredentialSecret: arg("applicationCredentialSecret", "OS_APPLICATION_CREDENTIAL_SECRET"),
        token: arg("token", "OS_TOKEN", "OS_AUTH_TOKEN"),
    };
}

/**
 * From a clouds.yaml entry: with a cloud named, the provider takes the credentials from the file alone (its own
 * credential settings are not used) and fills what the file leaves empty from OS_* (where two variables name
 * one field, the later one in this list wins, as in gophercloud).
 */
function credentialsFromCloud(auth: Record<string, unknown>, env: NodeJS.ProcessEnv): Credentials {
    const field = (key: string, ...envKeys: string[]) =>
        str(auth[key]) ??
        envKeys
            .map((k) => str(env[k]))
            .filter((v) => v !== undefined)
            .pop();
    return {
        userName: field("username", "OS_USERNAME"),
        userId: field("user_id", "OS_USER_ID"),
        password: field("password", "OS_PASSWORD"),
        userDomainName: field("user_domain_name", "OS_USER_DOMAIN_NAME"),
        userDomainId: field("user_domain_id", "OS_USER_DOMAIN_ID"),
        projectName: field("project_name", "OS_TENANT_NAME", "OS_PROJECT_NAME"),
        projectId: field("project_id", "OS_TENANT_ID", "OS_PROJECT_ID"),
        projectDomainName: field("project_domain_name", "OS_PROJECT_DOMAIN_NAME"),
        projectDomainId: field("project_domain_id", "OS_PROJECT_DOMAIN_ID"),
        domainName: field("domain_name", "OS_DOMAIN_NAME"),
        domainId: field("domain_id", "OS_DOMAIN_ID"),
        defaultDomain: field("default_domain", "OS_DEFAULT_DOMAIN"),
        applicationCredentialId: field("application_credential_id", "OS_APPLICATION_CREDENTIAL_ID"),
        applicationCredentialName: field("application_credential_name", "OS_APPLICATION_CREDENTIAL_NAME"),
        applicationCredentialSecret: field("application_credential_secret", "OS_APPLICATION_CREDENTIAL_SECRET"),
        token: field("token", "OS_TOKEN", "OS_AUTH_TOKEN"),
    };
}

/**
 * gophercloud's scope rules. Project-scoped (or an application credential): `domain*` stands in for whichever of
 * the user's and the project's domain is unset, then `defaultDomain` (an id) for a domain still unset. Without a
 * project: a domain-scoped token, from `domain*`.
 */
function withDomains(c: Credentials): Pick<KeystoneAuth, "userDomainName" | "userDomainId" | "projectDomainName" | "projectDomainId" | "domainScope"> {
    const { domainId, domainName, defaultDomain } = c;
    const applicationCredential = !!(c.applicationCredentialId || c.applicationCredentialName || c.applicationCredentialSecret);
    if (!applicationCredential && !c.projectId && !c.projectName) {
        const domainScope = domainId ? { id: domainId } : domainName ? { name: domainName } : undefined;
        return { userDomainName: c.userDomainName, userDomainId: c.userDomainId, projectDomainName: c.projectDomainName, projectDomainId: c.projectDomainId, domainScope };
    }
    let userDomainId = c.userDomainId ?? domainId;
    let projectDomainId = c.projectDomainId ?? domainId;
    const userDomainName = c.userDomainName ?? domainName;
    const projectDomainName = c.projectDomainName ?? domainName;
    if (defaultDomain) {
        if (!userDomainName && !userDomainId) userDomainId = defaultDomain;
        if (!projectDomainName && !projectDomainId) projectDomainId = defaultDomain;
    }
    return { userDomainName, userDomainId, projectDomainName, projectDomainId };
}

/**
 * The credentials the regional providers end up with, from the same `openstack:*` settings, clouds.yaml
 * (`openstack:cloud` or OS_CLOUD) and OS_* variables, by the provider's own rules.
 */
export function resolveKeystoneAuth(
    settings: ProviderSettings,
    env: NodeJS.ProcessEnv = process.env,
    loadCloud: (cloud: string) => Record<string, unknown> = (c) => readCloudsYaml(c, env),
): KeystoneAuth {
    const cloudName = str(settings.cloud) ?? str(env.OS_CLOUD);
    const cloud = cloudName ? loadCloud(cloudName) : undefined;
    const cloudAuth = isObject(cloud?.auth) ? cloud.auth : {};
    const credentials = cloud ? credentialsFromCloud(cloudAuth, env) : credentialsFromSettings(settings, env);
    const authUrl = (cloud ? str(cloudAuth.auth_url) ?? str(env.OS_AUTH_URL) : undefined) ?? argument(settings, env, "authUrl", "OS_AUTH_URL");
    if (!authUrl) {
        throw new Error("no OpenStack auth URL: set openstack:authUrl, openstack:cloud (clouds.yaml) or OS_AUTH_URL");
    }
    const insecure = bool(settings.insecure) ?? bool(env.OS_INSECURE) ?? (cloud?.verify === false ? true : undefined) ?? false;
    const { domainName: _dn, domainId: _di, defaultDomain: _dd, ...user } = credentials;
    // A token replaces the user: gophercloud drops the user's name, id, password and domain when it has one.
    const tokenOnly = credentials.token
        ? { userName: undefined, userId: undefined, password: undefined, userDomainName: undefined, userDomainId: undefined }
        : {};
    return {
        ...user,
        ...withDomains(credentials),
        ...tokenOnly,
        authUrl,
        interface: normaliseInterface(argument(settings, env, "endpointType", "OS_ENDPOINT_TYPE")),
        insecure,
        cacertFile: argument(settings, env, "cacertFile", "OS_CACERT") ?? str(cloud?.cacert),
    };
}

/** The Keystone v3 request body for the credentials at hand. */
export function keystoneAuthBody(auth: KeystoneAuth): Record<string, unknown> {
    const domain = (name?: string, id?: string) => (id ? { domain: { id } } : name ? { domain: { name } } : {});
    const user = () => (auth.userId ? { id: auth.userId } : { name: auth.userName, ...domain(auth.userDomainName, auth.userDomainId) });
    if (auth.applicationCredentialSecret) {
        const credential = auth.applicationCredentialId
            ? { id: auth.applicationCredentialId, secret: auth.applicationCredentialSecret }
            : { name: auth.applicationCredentialName, secret: auth.applicationCredentialSecret, user: user() };
        return { auth: { identity: { methods: ["application_credential"], application_credential: credential } } };
    }
    const identity = auth.token
        ? { methods: ["token"], token: { id: auth.token } }
        : { methods: ["password"], password: { user: { ...user(), password: auth.password } } };
    const scope = auth.projectId
        ? { project: { id: auth.projectId } }
        : auth.projectName
          ? { project: { name: auth.projectName, ...domain(auth.projectDomainName, auth.projectDomainId) } }
          : auth.domainScope
            ? { domain: auth.domainScope }
            : undefined;
    return { auth: scope ? { identity, scope } : { identity } };
}

/** What the binding provider needs to reach Neutron, from resolved credentials. */
export function neutronAccessFrom(auth: KeystoneAuth): NeutronAccess {
    return {
        authUrl: auth.authUrl,
        authBody: JSON.stringify(keystoneAuthBody(auth)),
        interface: auth.interface,
        insecure: auth.insecure,
        cacertFile: auth.cacertFile,
    };
}
