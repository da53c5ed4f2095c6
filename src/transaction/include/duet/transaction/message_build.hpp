// Requests the transaction layer derives from an INVITE it sent: the ACK for a non-2xx final
// response (§17.1.1.3) and the CANCEL (§9.1). Both copy Request-URI, Call-ID, From, CSeq number,
// the top Via and every Route of the original, so they follow the INVITE hop by hop.
#pragma once

#include <string>

#include "duet/sip/message.hpp"

namespace duet::transaction {

// Appends to out. invite is the request as sent; final_response supplies the To (with the tag
// the far end added). False if a header they need is missing from invite.
bool build_ack(const sip::Message& invite, const sip::Message& final_response, std::string& out);
bool build_cancel(const sip::Message& invite, std::string& out);

}  // namespace duet::transaction
