/** The bank's DTO types, one file each in this folder; Switchyard loads this list (README: "Your own DTOs"). */
import customerPosition from "./customer-position.ts";
import customerProfile from "./customer-profile.ts";

export default [customerPosition, customerProfile];
