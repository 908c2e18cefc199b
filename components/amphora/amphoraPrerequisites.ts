import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { AmphoraModel } from "../config/model";
import { amphoraFlavorName, amphoraKeypairName } from "../config/names";
import { AmphoraConfValues } from "../node/octaviaConf";
import { forControllers, PkiMaterial } from "./pkiMaterial";
import { RegionPki } from "./regionPki";

/** What every region's prerequisites share: the configuration and the Keystone ids it names, resolved once. */
export interface AmphoraContext {
    amphora: AmphoraModel;
    /** Octavia's project (`amphoraProject`), given access to the private flavor; unset: the credentials' own. */
    ownerProjectId?: pulumi.Input<string>;
    /** `amphora.image.owner` as an id: Octavia compares `amp_image_owner_id` with Glance's owner field. */
    imageOwnerId?: pulumi.Input<string>;
    /** `amphora.keypair.user` as an id: the keypair's owner. */
    keypairUserId?: pulumi.Input<string>;
}

export interface AmphoraPrerequisitesArgs {
    /** The local region. */
    region: string;
    /** The region's provider: Nova's flavors and keypairs are per region. */
    provider: openstack.Provider;
    context: AmphoraContext;
    /** The region's octavia.conf path (`octavia.configFile`): the certificates go to `certs/` beside it. */
    configFile: string;
}

/** Octavia's certificate directory on a controller: `certs/` beside its octavia.conf (`/etc/octavia/certs`). */
export function certificatesDir(configFile: string): string {
    return path.posix.join(path.posix.dirname(configFile), "certs");
}

/**
 * What Octavia needs in one region to boot an amphora, which no Octavia process checks at start (the worker reads
 * them at the first boot): a private flavor Octavia's project may use, a keypair of Octavia's own user (Nova checks
 * a boot's key against the booting user), and the region's PKI. `conf` is what every controller of the region merges
 * into octavia.conf; `pki` the files they all receive, identical.
 */
export class AmphoraPrerequisites extends pulumi.ComponentResource {
    public readonly conf: pulumi.Output<AmphoraConfValues>;
    public readonly pki?: pulumi.Output<PkiMaterial>;

    constructor(name: string, args: AmphoraPrerequisitesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tricircle-lbaas:amphora:AmphoraPrerequisites", name, {}, opts);
        const { amphora, ownerProjectId, imageOwnerId, keypairUserId } = args.context;
        const child = { parent: this, provider: args.provider };

        let flavorId: pulumi.Output<string> | undefined;
        if (amphora.flavor) {
            const flavor = new openstack.compute.Flavor(
                `${name}-flavor`,
                {
                    name: amphoraFlavorName(pulumi.getStack(), args.region),
                    vcpus: amphora.flavor.vcpus,
                    ram: amphora.flavor.ramMb,
                    disk: amphora.flavor.diskGb,
                    // Private: only Octavia boots on it. The entropy device devstack gives its amphora flavor, which
                    // keeps the agent's TLS from starving for entropy at boot.
                    isPublic: false,
                    extraSpecs: { "hw_rng:allowed": "True" },
                },
                child,
            );
            // A private flavor is usable by the projects on its access list only: Octavia boots in its own project.
            if (ownerProjectId !== undefined) {
                new openstack.compute.FlavorAccess(`${name}-flavor-access`, { flavorId: flavor.id, tenantId: ownerProjectId }, child);
            }
            flavorId = flavor.id;
        }

        let sshKeyName: pulumi.Output<string> | undefined;
        if (amphora.keypair) {
            const keypair = new openstack.compute.Keypair(
                `${name}-keypair`,
                { name: amphoraKeypairName(pulumi.getStack(), args.region), publicKey: amphora.keypair.publicKey, userId: keypairUserId },
                child,
            );
            sshKeyName = keypair.name;
        }

        const certificates = amphora.certificates;
        if (certificates) {
            const provided = certificates.provided?.[args.region];
            // An operator's own PKI was checked with the configuration (checkProvidedPki), before anything was planned.
            this.pki = provided
                ? provided.apply(forControllers)
                : new RegionPki(
                      `${name}-pki`,
                      {
                          region: args.region,
                          caValidityDays: certificates.caValidityDays,
                          clientValidityDays: certificates.clientValidityDays,
                          rotation: certificates.rotation,
                      },
                      { parent: this },
                  ).material.apply(forControllers);
        }

        this.conf = pulumi.all([flavorId, sshKeyName, imageOwnerId]).apply(([flavor, key, owner]) => ({
            ...(flavor !== undefined ? { flavorId: flavor } : {}),
            ...(amphora.image !== undefined ? { imageTag: amphora.image.tag } : {}),
            ...(owner !== undefined ? { imageOwnerId: owner } : {}),
            ...(key !== undefined ? { sshKeyName: key } : {}),
            ...(certificates !== undefined ? { certificatesDir: certificatesDir(args.configFile) } : {}),
        }));
        this.registerOutputs({ conf: this.conf });
    }
}
