package imagebuilder

import "github.com/imagegrid/imagegrid/internal/record"

// releases are the build targets of upstream Image Builder's images/capi Makefile, per
// release range and infrastructure, as the part of the target after its prefix
// (build-node-ova-vsphere-, build-ami-, build-azure-sig-) without the -all, base- and clone-
// targets. They were read from kubernetes-sigs/image-builder's tags v0.1.13 to v0.1.55 with
// "make -npq .DEFAULT" in each tag's images/capi (the Makefile's own target database), and
// consecutive releases with the same targets were merged into one range. The validate
// targets follow the build targets (validate-node-ova-local-, validate-ami-,
// validate-azure-sig-).
var releases = []release{
	{
		from: "0.1.13", to: "0.1.13",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "rhel-7", "rhel-8", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "ubuntu-2004-efi", "windows-2004", "windows-2019", "windows-2022"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "windows-2004", "windows-2019"},
			record.InfraAzure:   {"centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "ubuntu-1804", "ubuntu-1804-gen2", "ubuntu-2004", "ubuntu-2004-gen2", "windows-2004", "windows-2019", "windows-2019-containerd", "windows-2022-containerd"},
		},
	},
	{
		from: "0.1.14", to: "0.1.14",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "rhel-7", "rhel-8", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "windows-2004", "windows-2019", "windows-2022"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "ubuntu-2204", "windows-2004", "windows-2019"},
			record.InfraAzure:   {"centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "rhel-8", "ubuntu-1804", "ubuntu-1804-gen2", "ubuntu-2004", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-gen2", "windows-2004", "windows-2019", "windows-2019-containerd", "windows-2022-containerd"},
		},
	},
	{
		from: "0.1.15", to: "0.1.15",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "rhel-7", "rhel-8", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "windows-2004", "windows-2019", "windows-2022"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "ubuntu-2204", "windows-2004", "windows-2019"},
			record.InfraAzure:   {"centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "rhel-8", "ubuntu-1804", "ubuntu-1804-gen2", "ubuntu-2004", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-gen2", "windows-2004", "windows-2019", "windows-2019-containerd", "windows-2022-containerd"},
		},
	},
	{
		from: "0.1.16", to: "0.1.16",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "rhel-7", "rhel-8", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "windows-2004", "windows-2019", "windows-2022"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "ubuntu-2204", "windows-2004", "windows-2019"},
			record.InfraAzure:   {"centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "rhel-8", "ubuntu-1804", "ubuntu-1804-gen2", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "windows-2004", "windows-2019", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm"},
		},
	},
	{
		from: "0.1.17", to: "0.1.17",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "rhel-7", "rhel-8", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "windows-2004", "windows-2019", "windows-2022"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "ubuntu-2204", "windows-2004", "windows-2019"},
			record.InfraAzure:   {"centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "mariner-2", "mariner-2-gen2", "rhel-8", "ubuntu-1804", "ubuntu-1804-gen2", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "windows-2004", "windows-2019", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm"},
		},
	},
	{
		from: "0.1.18", to: "0.1.18",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "photon-5", "rhel-7", "rhel-8", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "windows-2004", "windows-2019", "windows-2022"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-1804", "ubuntu-2004", "ubuntu-2204", "windows-2004", "windows-2019"},
			record.InfraAzure:   {"centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "mariner-2", "mariner-2-gen2", "rhel-8", "ubuntu-1804", "ubuntu-1804-gen2", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "windows-2004", "windows-2019", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm"},
		},
	},
	{
		from: "0.1.19", to: "0.1.21",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "photon-5", "rhel-7", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "windows-2019", "windows-2022"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2204", "windows-2019"},
			record.InfraAzure:   {"centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "mariner-2", "mariner-2-gen2", "rhel-8", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "windows-2019", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm"},
		},
	},
	{
		from: "0.1.22", to: "0.1.24",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "photon-5", "rhel-7", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "windows-2019", "windows-2022"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2204", "windows-2019"},
			record.InfraAzure:   {"centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "mariner-2", "mariner-2-gen2", "rhel-8", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.25", to: "0.1.25",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "photon-5", "rhel-7", "rhel-8", "rockylinux-8", "rockylinux-9", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2204", "windows-2019"},
			record.InfraAzure:   {"centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "mariner-2", "mariner-2-gen2", "rhel-8", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.26", to: "0.1.27",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "photon-5", "rhel-7", "rhel-8", "rockylinux-8", "rockylinux-9", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2204", "ubuntu-2404", "windows-2019"},
			record.InfraAzure:   {"azurelinux-2", "azurelinux-2-gen2", "azurelinux-3", "azurelinux-3-gen2", "centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "mariner-2", "mariner-2-gen2", "rhel-8", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.28", to: "0.1.30",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "photon-5", "rhel-7", "rhel-8", "rhel-9", "rockylinux-8", "rockylinux-9", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2204", "ubuntu-2404", "windows-2019"},
			record.InfraAzure:   {"azurelinux-2", "azurelinux-2-gen2", "azurelinux-3", "azurelinux-3-gen2", "centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "mariner-2", "mariner-2-gen2", "rhel-8", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.31", to: "0.1.36",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "photon-5", "rhel-7", "rhel-8", "rhel-9", "rockylinux-8", "rockylinux-9", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "ubuntu-2404", "ubuntu-2404-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2204", "ubuntu-2404", "windows-2019"},
			record.InfraAzure:   {"azurelinux-2", "azurelinux-2-gen2", "azurelinux-3", "azurelinux-3-gen2", "centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "mariner-2", "mariner-2-gen2", "rhel-8", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.37", to: "0.1.40",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "photon-5", "rhel-7", "rhel-8", "rhel-9", "rockylinux-8", "rockylinux-9", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "ubuntu-2404", "ubuntu-2404-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2204", "ubuntu-2404", "windows-2019"},
			record.InfraAzure:   {"azurelinux-2", "azurelinux-2-gen2", "azurelinux-3", "azurelinux-3-gen2", "centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "mariner-2", "mariner-2-gen2", "rhel-8", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-2025-containerd", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.41", to: "0.1.42",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "photon-5", "rhel-7", "rhel-8", "rhel-9", "rockylinux-8", "rockylinux-9", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "ubuntu-2404", "ubuntu-2404-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "amazon-2023", "centos-7", "flatcar", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2204", "ubuntu-2404", "windows-2019"},
			record.InfraAzure:   {"azurelinux-2", "azurelinux-2-gen2", "azurelinux-3", "azurelinux-3-gen2", "centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "mariner-2", "mariner-2-gen2", "rhel-8", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-2025-containerd", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.43", to: "0.1.44",
		targets: map[string][]string{
			record.InfraVSphere: {"centos-7", "flatcar", "photon-3", "photon-4", "photon-5", "rhel-7", "rhel-8", "rhel-9", "rockylinux-8", "rockylinux-9", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "ubuntu-2404", "ubuntu-2404-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "amazon-2023", "centos-7", "flatcar", "flatcar-arm64", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2204", "ubuntu-2404", "windows-2019"},
			record.InfraAzure:   {"azurelinux-2", "azurelinux-2-gen2", "azurelinux-3", "azurelinux-3-gen2", "centos-7", "centos-7-gen2", "flatcar", "flatcar-gen2", "mariner-2", "mariner-2-gen2", "rhel-8", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-2025-containerd", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.45", to: "0.1.45",
		targets: map[string][]string{
			record.InfraVSphere: {"flatcar", "photon-4", "photon-5", "rhel-7", "rhel-8", "rhel-9", "rockylinux-8", "rockylinux-9", "ubuntu-2004", "ubuntu-2004-efi", "ubuntu-2204", "ubuntu-2204-efi", "ubuntu-2404", "ubuntu-2404-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "amazon-2023", "flatcar", "flatcar-arm64", "rhel-8", "rockylinux-8", "ubuntu-2004", "ubuntu-2204", "ubuntu-2404", "windows-2019"},
			record.InfraAzure:   {"azurelinux-3", "azurelinux-3-gen2", "flatcar", "flatcar-gen2", "rhel-8", "ubuntu-2004", "ubuntu-2004-cvm", "ubuntu-2004-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-2025-containerd", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.46", to: "0.1.48",
		targets: map[string][]string{
			record.InfraVSphere: {"flatcar", "photon-4", "photon-5", "rhel-8", "rhel-9", "rockylinux-8", "rockylinux-9", "ubuntu-2204", "ubuntu-2204-efi", "ubuntu-2404", "ubuntu-2404-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "amazon-2023", "flatcar", "flatcar-arm64", "rhel-8", "rockylinux-8", "ubuntu-2204", "ubuntu-2404", "windows-2019"},
			record.InfraAzure:   {"azurelinux-3", "azurelinux-3-gen2", "flatcar", "flatcar-gen2", "rhel-8", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-2025-containerd", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.49", to: "0.1.49",
		targets: map[string][]string{
			record.InfraVSphere: {"almalinux-9", "flatcar", "photon-4", "photon-5", "rhel-8", "rhel-9", "rockylinux-8", "rockylinux-9", "ubuntu-2204", "ubuntu-2204-efi", "ubuntu-2404", "ubuntu-2404-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "amazon-2023", "flatcar", "flatcar-arm64", "rhel-8", "rockylinux-8", "ubuntu-2204", "ubuntu-2404", "windows-2019"},
			record.InfraAzure:   {"azurelinux-3", "azurelinux-3-gen2", "flatcar", "flatcar-gen2", "rhel-8", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-2025-containerd", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.50", to: "0.1.52",
		targets: map[string][]string{
			record.InfraVSphere: {"almalinux-9", "flatcar", "photon-4", "photon-5", "rhel-9", "rockylinux-9", "ubuntu-2204", "ubuntu-2204-efi", "ubuntu-2404", "ubuntu-2404-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "amazon-2023", "flatcar", "flatcar-arm64", "ubuntu-2204", "ubuntu-2404", "windows-2019"},
			record.InfraAzure:   {"azurelinux-3", "azurelinux-3-gen2", "flatcar", "flatcar-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-2025-containerd", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.53", to: "0.1.53",
		targets: map[string][]string{
			record.InfraVSphere: {"almalinux-9", "flatcar", "photon-4", "photon-5", "rhel-9", "rockylinux-9", "ubuntu-2204", "ubuntu-2204-efi", "ubuntu-2404", "ubuntu-2404-efi", "ubuntu-2604", "ubuntu-2604-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "amazon-2023", "amazon-2023-arm64", "flatcar", "flatcar-arm64", "ubuntu-2204", "ubuntu-2204-arm64", "ubuntu-2404", "ubuntu-2404-arm64", "ubuntu-2604", "windows-2019"},
			record.InfraAzure:   {"azurelinux-3", "azurelinux-3-gen2", "flatcar", "flatcar-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "ubuntu-2604", "ubuntu-2604-gen2", "windows-2019-containerd", "windows-2019-containerd-cvm", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-2025-containerd", "windows-annual-containerd"},
		},
	},
	{
		from: "0.1.54", to: "0.1.55",
		targets: map[string][]string{
			record.InfraVSphere: {"almalinux-9", "flatcar", "photon-4", "photon-5", "rhel-9", "rockylinux-9", "ubuntu-2204", "ubuntu-2204-efi", "ubuntu-2404", "ubuntu-2404-efi", "ubuntu-2604", "ubuntu-2604-efi", "windows-2019", "windows-2019-efi", "windows-2022", "windows-2022-efi"},
			record.InfraAWS:     {"amazon-2", "amazon-2023", "amazon-2023-arm64", "flatcar", "flatcar-arm64", "ubuntu-2204", "ubuntu-2204-arm64", "ubuntu-2404", "ubuntu-2404-arm64", "ubuntu-2604", "windows-2019"},
			record.InfraAzure:   {"azurelinux-3", "azurelinux-3-gen2", "flatcar", "flatcar-gen2", "ubuntu-2204", "ubuntu-2204-cvm", "ubuntu-2204-gen2", "ubuntu-2404", "ubuntu-2404-cvm", "ubuntu-2404-gen2", "ubuntu-2604", "ubuntu-2604-gen2", "windows-2022-containerd", "windows-2022-containerd-cvm", "windows-2025-containerd"},
		},
	},
}
