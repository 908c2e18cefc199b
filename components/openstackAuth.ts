import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import type { NeutronAccess } from "./portHostBinding";

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
    interface: "public" | "internal" | "admin";
    insecure: boolean;
    cacertFile?: string;
}

/** The subset of openstack provider settings the resolution reads (plain values). */
export type ProviderSettings = Partial<Record<string, string | boolean | number | undefined>>;

function str(v: unknown): string | undefined {
    return typeof v === "string" && v !== "" ? v : undefined;
}

const CLOUDS_YAML_PLACES = (env: NodeJS.ProcessEnv) =>
    [
        env.OS_CLIENT_CONFIG_FILE,
        path.join(process.cwd(), "clouds.yaml"),
        path.join(os.homedir(), ".config", "openstack", "clouds.yaml"),
        "/etc/openstack/clouds.yaml",
    ].filter((p): p is string => !!p);

/** Reads one cloud of clouds.yaml from the places openstacksdk looks, in its order. */
export function readCloudsYaml(cloud: string, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
    for (const file of CLOUDS_YAML_PLACES(env)) {
        if (!fs.existsSync(file)) continue;
        const doc = yaml.load(fs.readFileSync(file, "utf8")) as { clouds?: Record<string, Record<string, unknown>> } | undefined;
        const entry = doc?.clouds?.[cloud];
        if (entry) return entry;
    }
    throw new Error(`openstack:cloud "${cloud}" is not in any clouds.yaml (looked in ${CLOUDS_YAML_PLACES(env).join(", ")})`);
}

function normaliseInterface(value: string | undefined): KeystoneAuth["interface"] {
    const v = (value ?? "public").replace(/URL$/, "");
    if (v === "public" || v === "internal" || v === "admin") return v;
    throw new Error(`openstack endpoint type "${value}" is not one of public, internal, admin`);
}

/**
 * Same precedence as the provider itself: explicit `openstack:*` settings, then the named cloud of clouds.yaml
 * (`openstack:cloud` or OS_CLOUD), then OS_* variables.
 */
export function resolveKeystoneAuth(
    settings: ProviderSettings,
    env: NodeJS.ProcessEnv = process.env,
    loadCloud: (cloud: string) => Record<string, unknown> = (c) => readCloudsYaml(c, env),
): KeystoneAuth {
    const cloudName = str(settings.cloud) ?? str(env.OS_CLOUD);
    const cloud = cloudName ? loadCloud(cloudName) : {};
    const cloudAuth = (cloud.auth ?? {}) as Record<string, unknown>;
    const pick = (setting: string, cloudKey: string, envKey: string): string | undefined =>
        str(settings[setting]) ?? str(cloudAuth[cloudKey]) ?? str(env[envKey]);
    const authUrl = pick("authUrl", "auth_url", "OS_AUTH_URL");
    if (!authUrl) {
        throw new Error("no OpenStack auth URL: set openstack:authUrl, openstack:cloud (clouds.yaml) or OS_AUTH_URL");
    }
    const cloudVerify = cloud.verify;
    return {
        authUrl,
        userName: pick("userName", "username", "OS_USERNAME"),
        userId: pick("userId", "user_id", "OS_USER_ID"),
        password: pick("password", "password", "OS_PASSWORD"),
        userDomainName: pick("userDomainName", "user_domain_name", "OS_USER_DOMAIN_NAME") ?? pick("domainName", "domain_name", "OS_DOMAIN_NAME"),
        userDomainId: pick("userDomainId", "user_domain_id", "OS_USER_DOMAIN_ID"),
        projectName: pick("tenantName", "project_name", "OS_PROJECT_NAME") ?? str(env.OS_TENANT_NAME),
        projectId: pick("tenantId", "project_id", "OS_PROJECT_ID") ?? str(env.OS_TENANT_ID),
        projectDomainName: pick("projectDomainName", "project_domain_name", "OS_PROJECT_DOMAIN_NAME"),
        projectDomainId: pick("projectDomainId", "project_domain_id", "OS_PROJECT_DOMAIN_ID"),
        applicationCredentialId: pick("applicationCredentialId", "application_credential_id", "OS_APPLICATION_CREDENTIAL_ID"),
        applicationCredentialName: pick("applicationCredentialName", "application_credential_name", "OS_APPLICATION_CREDENTIAL_NAME"),
        applicationCredentialSecret: pick("applicationCredentialSecret", "application_credential_secret", "OS_APPLICATION_CREDENTIAL_SECRET"),
        token: pick("token", "token", "OS_TOKEN"),
        interface: normaliseInterface(str(settings.endpointType) ?? str(cloud.interface) ?? str(env.OS_INTERFACE)),
        insecure: settings.insecure === true || cloudVerify === false || env.OS_INSECURE === "true",
        cacertFile: str(settings.cacertFile) ?? str(cloud.cacert) ?? str(env.OS_CACERT),
    };
}

/** The Keystone v3 request body for the credentials at hand. */
export function keystoneAuthBody(auth: KeystoneAuth): Record<string, unknown> {
    const domain = (name?: string, id?: string) => (id ? { id } : { name: name ?? "Default" });
    if (auth.applicationCredentialSecret) {
        const credential = auth.applicationCredentialId
            ? { id: auth.applicationCredentialId, secret: auth.applicationCredentialSecret }
            : {
                  name: auth.applicationCredentialName,
                  secret: auth.applicationCredentialSecret,
                  user: auth.userId ? { id: auth.userId } : { name: auth.userName, domain: domain(auth.userDomainName, auth.userDomainId) },
              };
        return { auth: { identity: { methods: ["application_credential"], application_credential: credential } } };
    }
    const identity = auth.token
        ? { methods: ["token"], token: { id: auth.token } }
        : {
              methods: ["password"],
              password: {
                  user: auth.userId
                      ? { id: auth.userId, password: auth.password }
                      : { name: auth.userName, password: auth.password, domain: domain(auth.userDomainName, auth.userDomainId) },
              },
          };
    const scope = auth.projectId
        ? { project: { id: auth.projectId } }
        : auth.projectName
          ? { project: { name: auth.projectName, domain: domain(auth.projectDomainName, auth.projectDomainId) } }
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
