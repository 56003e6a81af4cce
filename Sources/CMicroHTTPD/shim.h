#include <microhttpd.h>

// MHD_get_connection_info is variadic, which Swift cannot call: this
// fixed-signature wrapper asks it for the client's socket address.
static inline const struct sockaddr *
perimeter_mhd_client_address(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}
