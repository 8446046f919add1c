// Enumerations of eRoamingPushEvseData 2.3 (cpo-2.3-openapi.yaml, EvseDataRecord), and the tables the
// normalisation uses: OCPP connector types to OICP plugs, ISO 3166-1 alpha-2 to alpha-3.

export const PLUG_TYPES = [
  'Small Paddle Inductive',
  'Large Paddle Inductive',
  'AVCON Connector',
  'Tesla Connector',
  'NEMA 5-20',
  'Type E French Standard',
  'Type F Schuko',
  'Type G British Standard',
  'Type J Swiss Standard',
  'Type 1 Connector (Cable Attached)',
  'Type 2 Outlet',
  'Type 2 Connector (Cable Attached)',
  'Type 3 Outlet',
  'IEC 60309 Single Phase',
  'IEC 60309 Three Phase',
  'CCS Combo 2 Plug (Cable Attached)',
  'CCS Combo 1 Plug (Cable Attached)',
  'CHAdeMO',
] as const;
export const POWER_TYPES = ['AC_1_PHASE', 'AC_3_PHASE', 'DC'] as const;
export const CHARGING_MODES = ['Mode_1', 'Mode_2', 'Mode_3', 'Mode_4', 'CHAdeMO'] as const;
export const AUTHENTICATION_MODES = ['NFC RFID Classic', 'NFC RFID DESFire', 'PnC', 'REMOTE', 'Direct Payment', 'No Authentication Required'] as const;
export const PAYMENT_OPTIONS = ['No Payment', 'Direct', 'Contract'] as const;
export const VALUE_ADDED_SERVICES = [
  'Reservation',
  'DynamicPricing',
  'ParkingSensors',
  'MaximumPowerCharging',
  'PredictiveChargePointUsage',
  'ChargingPlans',
  'RoofProvided',
  'None',
] as const;
export const ACCESSIBILITY = ['Free publicly accessible', 'Restricted access', 'Paying publicly accessible', 'Test Station'] as const;
export const ACCESSIBILITY_LOCATIONS = ['OnStreet', 'ParkingLot', 'ParkingGarage', 'UndergroundParkingGarage'] as const;
export const CALIBRATION_LAW_DATA_AVAILABILITY = ['Local', 'External', 'Not Available'] as const;
export const DYNAMIC_INFO_AVAILABLE = ['true', 'false', 'auto'] as const;
export const ENERGY_TYPES = ['Solar', 'Wind', 'HydroPower', 'GeothermalEnergy', 'Biomass', 'Coal', 'NuclearEnergy', 'Petroleum', 'NaturalGas'] as const;
export const OPENING_DAYS = ['Everyday', 'Workdays', 'Weekend', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export const GEO_FORMATS = ['Google', 'DecimalDegree', 'DegreeMinuteSeconds'] as const;

export type PlugType = (typeof PLUG_TYPES)[number];
export type PowerType = (typeof POWER_TYPES)[number];
export type ChargingMode = (typeof CHARGING_MODES)[number];
export type AuthenticationMode = (typeof AUTHENTICATION_MODES)[number];
export type PaymentOption = (typeof PAYMENT_OPTIONS)[number];
export type ValueAddedService = (typeof VALUE_ADDED_SERVICES)[number];
export type Accessibility = (typeof ACCESSIBILITY)[number];
export type AccessibilityLocation = (typeof ACCESSIBILITY_LOCATIONS)[number];
export type CalibrationLawDataAvailability = (typeof CALIBRATION_LAW_DATA_AVAILABILITY)[number];
export type DynamicInfoAvailable = (typeof DYNAMIC_INFO_AVAILABLE)[number];
export type EnergyType = (typeof ENERGY_TYPES)[number];
export type OpeningDay = (typeof OPENING_DAYS)[number];

/**
 * OCPP ConnectorEnumType (2.0.1, and the values 2.1 added) to OICP PlugType. null: OICP has no plug type for it,
 * and the record is rejected with a hint to give an OICP plug type instead.
 */
export const OCPP_CONNECTOR_TO_PLUG: Readonly<Record<string, PlugType | null>> = {
  cCCS1: 'CCS Combo 1 Plug (Cable Attached)',
  cCCS2: 'CCS Combo 2 Plug (Cable Attached)',
  cG105: 'CHAdeMO', // JARI G105 is CHAdeMO
  cTesla: 'Tesla Connector',
  cNACS: 'Tesla Connector', // SAE J3400, Tesla's connector
  cType1: 'Type 1 Connector (Cable Attached)',
  cType2: 'Type 2 Connector (Cable Attached)',
  's309-1P-16A': 'IEC 60309 Single Phase',
  's309-1P-32A': 'IEC 60309 Single Phase',
  's309-3P-16A': 'IEC 60309 Three Phase',
  's309-3P-32A': 'IEC 60309 Three Phase',
  sBS1361: 'Type G British Standard', // OCPP: "UK domestic socket a.k.a. 13Amp", the BS 1363 socket
  'sCEE-7-7': 'Type F Schuko', // OCPP: "CEE 7/7 16A socket, may represent 7/4 and 7/5 a.k.a. Schuko"
  sType2: 'Type 2 Outlet',
  sType3: 'Type 3 Outlet',
  // No OICP plug type:
  cChaoJi: null,
  cUltraChaoJi: null,
  cGBT: null,
  'cGBT-DC': null,
  'sGBT-AC': null,
  cLECCS: null,
  cMCS: null,
  'cNACS-CCS1': null,
  'cCCS1-NACS': null,
  sType1: null,
  OppCharge: null,
  Other1PhMax16A: null,
  Other1PhOver16A: null,
  Other3Ph: null,
  Pan: null,
  wInductive: null,
  wResonant: null,
  Undetermined: null,
  Unknown: null,
};

// ISO 3166-1: alpha-2 alpha-3, all 249 officially assigned codes.
const ISO_3166 =
  'AD AND AE ARE AF AFG AG ATG AI AIA AL ALB AM ARM AO AGO AQ ATA AR ARG AS ASM AT AUT AU AUS AW ABW AX ALA AZ AZE ' +
  'BA BIH BB BRB BD BGD BE BEL BF BFA BG BGR BH BHR BI BDI BJ BEN BL BLM BM BMU BN BRN BO BOL BQ BES BR BRA BS BHS ' +
  'BT BTN BV BVT BW BWA BY BLR BZ BLZ CA CAN CC CCK CD COD CF CAF CG COG CH CHE CI CIV CK COK CL CHL CM CMR CN CHN ' +
  'CO COL CR CRI CU CUB CV CPV CW CUW CX CXR CY CYP CZ CZE DE DEU DJ DJI DK DNK DM DMA DO DOM DZ DZA EC ECU EE EST ' +
  'EG EGY EH ESH ER ERI ES ESP ET ETH FI FIN FJ FJI FK FLK FM FSM FO FRO FR FRA GA GAB GB GBR GD GRD GE GEO GF GUF ' +
  'GG GGY GH GHA GI GIB GL GRL GM GMB GN GIN GP GLP GQ GNQ GR GRC GS SGS GT GTM GU GUM GW GNB GY GUY HK HKG HM HMD ' +
  'HN HND HR HRV HT HTI HU HUN ID IDN IE IRL IL ISR IM IMN IN IND IO IOT IQ IRQ IR IRN IS ISL IT ITA JE JEY JM JAM ' +
  'JO JOR JP JPN KE KEN KG KGZ KH KHM KI KIR KM COM KN KNA KP PRK KR KOR KW KWT KY CYM KZ KAZ LA LAO LB LBN LC LCA ' +
  'LI LIE LK LKA LR LBR LS LSO LT LTU LU LUX LV LVA LY LBY MA MAR MC MCO MD MDA ME MNE MF MAF MG MDG MH MHL MK MKD ' +
  'ML MLI MM MMR MN MNG MO MAC MP MNP MQ MTQ MR MRT MS MSR MT MLT MU MUS MV MDV MW MWI MX MEX MY MYS MZ MOZ NA NAM ' +
  'NC NCL NE NER NF NFK NG NGA NI NIC NL NLD NO NOR NP NPL NR NRU NU NIU NZ NZL OM OMN PA PAN PE PER PF PYF PG PNG ' +
  'PH PHL PK PAK PL POL PM SPM PN PCN PR PRI PS PSE PT PRT PW PLW PY PRY QA QAT RE REU RO ROU RS SRB RU RUS RW RWA ' +
  'SA SAU SB SLB SC SYC SD SDN SE SWE SG SGP SH SHN SI SVN SJ SJM SK SVK SL SLE SM SMR SN SEN SO SOM SR SUR SS SSD ' +
  'ST STP SV SLV SX SXM SY SYR SZ SWZ TC TCA TD TCD TF ATF TG TGO TH THA TJ TJK TK TKL TL TLS TM TKM TN TUN TO TON ' +
  'TR TUR TT TTO TV TUV TW TWN TZ TZA UA UKR UG UGA UM UMI US USA UY URY UZ UZB VA VAT VC VCT VE VEN VG VGB VI VIR ' +
  'VN VNM VU VUT WF WLF WS WSM YE YEM YT MYT ZA ZAF ZM ZMB ZW ZWE';

/** ISO 3166-1 alpha-2 to alpha-3 ('DE' to 'DEU'). */
export const COUNTRY_ALPHA2_TO_ALPHA3: ReadonlyMap<string, string> = (() => {
  const words = ISO_3166.split(' ');
  const m = new Map<string, string>();
  for (let i = 0; i < words.length; i += 2) m.set(words[i]!, words[i + 1]!);
  return m;
})();
/** Every ISO 3166-1 alpha-3 code. */
export const COUNTRY_ALPHA3: ReadonlySet<string> = new Set(COUNTRY_ALPHA2_TO_ALPHA3.values());

/** Length limits of the schema's strings (written there as `maximum:`, which validators ignore). */
export const LENGTH_LIMITS = {
  OperatorName: 100,
  ChargingStationID: 50,
  HardwareManufacturer: 50,
  ChargingStationImage: 200,
  SubOperatorName: 100,
  ClearinghouseID: 20,
  InfoTextValue: 150,
  City: 50,
  Street: 100,
  PostalCode: 10,
  HouseNum: 10,
  Floor: 5,
  Region: 50,
  ParkingSpot: 5,
} as const;
