# nginx for `make deploy-check` where the official nginx image cannot be pulled: Debian's
# nginx-light on the local base image (deploy/scripts/local-base-image.sh), the config mounted
# by compose.yaml as in production.
ARG BASE_IMAGE=elo-base:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/*
CMD ["nginx", "-g", "daemon off;"]
